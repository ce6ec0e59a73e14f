import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig, loadDatabaseUrl, loadSendDefaults } from '../config/index.ts'
import {
  createImRestClient,
  describeChange,
  ImApiError,
  MassDeleteRefused,
  reconcileMirror,
} from '../reconcile/index.ts'
import { describeDatabaseUrl, openStore, StoreOpenError } from '../store/index.ts'
import type { CliIo } from './io.ts'
import { KeysUsageError, runKeys } from './keys.ts'
import { replayRejected } from './replay.ts'
import { sampleBody, sendCallback } from './send.ts'
import { BIN, COMMANDS, USAGE } from './usage.ts'

export type { CliIo } from './io.ts'

class UsageError extends Error {
  override readonly name = 'UsageError'
}

async function send(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const defaults = loadSendDefaults(io.env)
  const sdkAppId = (values.sdkappid as string | undefined) ?? defaults.sdkAppId
  if (sdkAppId === undefined) throw new UsageError('--sdkappid is required (or set IM_SDKAPPID)')
  let time: number | undefined
  if (values.time !== undefined) {
    if (!/^\d{1,12}$/.test(values.time as string))
      throw new UsageError(`--time must be Unix seconds, got ${JSON.stringify(values.time)}`)
    time = Number(values.time)
  }
  let body: Record<string, unknown>
  if (values.file !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(values.file as string, 'utf8'))
    } catch (error) {
      throw new UsageError(`--file ${values.file}: ${error instanceof Error ? error.message : String(error)}`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new UsageError(`--file ${values.file} must hold a JSON object`)
    body = parsed as Record<string, unknown>
  } else {
    body = sampleBody((values.command as string | undefined) ?? 'Group.CallbackAfterCreateTopic')
  }
  const command =
    (values.command as string | undefined) ??
    (typeof body.CallbackCommand === 'string' ? body.CallbackCommand : 'Group.CallbackAfterCreateTopic')
  const url = (values.url as string | undefined) ?? `http://127.0.0.1:${defaults.port}/callback`
  try {
    new URL(url)
  } catch {
    throw new UsageError(`--url must be an absolute URL, got ${JSON.stringify(url)}`)
  }
  const token = (values.token as string | undefined) ?? defaults.token
  io.out(`POST ${url} ${command}${token === undefined ? ' (unsigned)' : ' (signed)'}`)
  let result: Awaited<ReturnType<typeof sendCallback>>
  try {
    result = await sendCallback({
      url,
      sdkAppId,
      token,
      time,
      command,
      body,
      ...(values['client-ip'] ? { clientIp: values['client-ip'] as string } : {}),
      ...(values.platform ? { optPlatform: values.platform as string } : {}),
    })
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ''
    io.err(`Could not reach ${url}${cause || `: ${String(error)}`}`)
    return 1
  }
  if (result.answer === null) {
    io.out(`HTTP ${result.status}, not a JSON answer: ${result.text.slice(0, 200)}`)
  } else {
    const { ActionStatus, ErrorCode, ErrorInfo } = result.answer
    io.out(
      `HTTP ${result.status} ActionStatus=${String(ActionStatus)} ErrorCode=${String(ErrorCode)} ErrorInfo=${JSON.stringify(ErrorInfo)}`,
    )
  }
  io.out(result.ok ? 'IM would count this callback a success.' : 'IM would count this callback a failure.')
  return result.ok ? 0 : 1
}

async function replay(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const store = await openStore(loadDatabaseUrl(io.env))
  try {
    const report = await replayRejected(store, { dryRun: values['dry-run'] === true })
    if (values.json) {
      io.out(JSON.stringify(report, null, 2))
      return 0
    }
    for (const c of report.changed)
      io.out(`event ${c.eventId} ${c.command}: rejected -> ${c.to}${values['dry-run'] ? ' (dry run)' : ''}`)
    for (const c of report.stillRejected) io.out(`event ${c.eventId} ${c.command}: still rejected: ${c.reason}`)
    io.out(
      `${report.examined} rejected event(s) examined: ${report.changed.length} changed, ${report.stillRejected.length} still rejected.`,
    )
    return 0
  } finally {
    await store.close()
  }
}

async function migrate(_values: unknown, io: CliIo): Promise<number> {
  const url = loadDatabaseUrl(io.env)
  const target = describeDatabaseUrl(url)
  const applied: string[] = []
  const store = await openStore(url, { onMigrated: (names) => applied.push(...names) })
  await store.close()
  const where = target.kind === 'sqlite' ? `SQLite ${target.path}` : 'PostgreSQL'
  io.out(applied.length > 0 ? `${where}: applied ${applied.join(', ')}` : `${where}: already at the newest schema`)
  return 0
}

async function reconcile(values: Record<string, string | boolean | undefined>, io: CliIo): Promise<number> {
  const config = loadConfig(io.env)
  if (config.reconcile === undefined) {
    throw new ConfigError(
      "reconcile needs IM_ADMIN_IDENTIFIER (the app admin account) and IM_SECRET_KEY (the app's secret key, from the IM console)",
    )
  }
  const groupId = values.group as string | undefined
  if (groupId !== undefined && groupId.trim() === '') throw new UsageError('--group needs a group ID')
  const dryRun = values['dry-run'] === true
  const client = createImRestClient({ ...config.reconcile, sdkAppId: config.sdkAppId })
  const store = await openStore(config.databaseUrl)
  try {
    let report: Awaited<ReturnType<typeof reconcileMirror>>
    try {
      const allowMassDelete = values['allow-mass-delete'] === true || config.reconcile.allowMassDelete
      report = await reconcileMirror({ store, client, groupId, dryRun, allowMassDelete })
    } catch (error) {
      if (error instanceof MassDeleteRefused) {
        for (const change of error.report.changes) io.out(describeChange(change))
        for (const change of error.wouldDelete) io.err(`held back: would have ${describeChange(change)}`)
        io.err(`${error.message}.`)
        return 1
      }
      if (!(error instanceof ImApiError)) throw error
      io.err(`${error.message}; nothing was changed.`)
      return 1
    }
    if (values.json) io.out(JSON.stringify(report, null, 2))
    else {
      for (const change of report.changes) io.out(`${dryRun ? 'would have ' : ''}${describeChange(change)}`)
      for (const failure of report.failures) io.err(`${failure}.`)
      io.out(
        `${report.groups} group(s) read from IM: ${report.changes.length} change(s)${dryRun ? ' would be made (dry run: nothing was written)' : ' made'}, ${report.failures.length} failure(s).`,
      )
    }
    return report.failures.length > 0 ? 1 : 0
  } finally {
    await store.close()
  }
}

async function serve(_values: unknown, io: CliIo): Promise<number> {
  if (io.serve === undefined) throw new UsageError('serve runs only from the im-topic-sync command itself')
  return io.serve()
}

const RUN = {
  serve,
  send,
  replay,
  migrate,
  reconcile,
  keys: (values: Record<string, string | boolean | undefined>, io: CliIo, positionals: string[]) =>
    runKeys(values, positionals, io),
} as const

/**
 * The `im-topic-sync` command line: returns the exit code (0 success, 1 failure, 2 usage error).
 *
 * @example
 * ```ts
 * const code = await runCli(['send', '--url', 'http://127.0.0.1:8080/callback'], { env: process.env, out: console.log, err: console.error })
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ;(name === undefined ? io.err : io.out)(USAGE)
    return name === undefined ? 2 : 0
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    io.err(`${BIN}: unknown command ${JSON.stringify(name)}\n\n${USAGE}`)
    return 2
  }
  const spec = COMMANDS[name as keyof typeof COMMANDS]
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: spec.options,
      strict: true,
      allowPositionals: name === 'keys',
    })
    if (values.help) {
      io.out(spec.usage)
      return 0
    }
    return await RUN[name as keyof typeof RUN](values as Record<string, string | boolean | undefined>, io, positionals)
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof KeysUsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.err(`${BIN} ${name}: ${error.message}\nRun '${BIN} ${name} --help' for its options.`)
      return 2
    }
    if (error instanceof ConfigError || error instanceof StoreOpenError) {
      io.err(error.message)
      return 1
    }
    throw error
  }
}
