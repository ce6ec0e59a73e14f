import { execFile, spawn } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { OK_ANSWER_JSON } from '../src/contract/answer.ts'
import { errorCodes } from '../src/contract/index.ts'
import { openSqliteStore } from '../src/store/index.ts'
import { sign } from '../src/verify/index.ts'
import { sampleAfterCreateTopic } from './fixtures/index.ts'
import { API_TOKEN, SDKAPPID, TOKEN } from './helpers/app.ts'
import { block, blocks, DOC_FILES, docText } from './helpers/doc-blocks.ts'
import { IM_ADMIN, IM_SECRET_KEY, startFakeIm } from './helpers/fake-im.ts'
import { createThrowawayDatabase, postgresAvailable } from './helpers/postgres.ts'
import { freePort, listens, ROOT, sendSigned, startService } from './helpers/service.ts'

const run = promisify(execFile)
const spec = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8')
const scratch = mkdtempSync(join(tmpdir(), 'imsync-docs-'))
// The JavaScript blocks import the package by its name, which resolves (package self-reference) only
// from a file inside this package: they run from a folder under artifacts/ (ignored by git).
mkdirSync(join(ROOT, 'artifacts'), { recursive: true })
const inPackage = mkdtempSync(join(ROOT, 'artifacts', 'docs-'))
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
  rmSync(inPackage, { recursive: true, force: true })
})

/** The env a block runs in: no more of the test's own than a user's shell would have. */
function shellEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH!, HOME: process.env.HOME!, HOST: '127.0.0.1', ...extra }
}

/** The `| code | status |` rows of a Markdown error table. */
function errorRows(text: string): Array<[number, number]> {
  return [...text.matchAll(/^\s*\| (\d+) \| (\d{3}) \|/gm)].map((m) => [Number(m[1]), Number(m[2])])
}

/** Each runnable block of the documentation, and the test file that runs (or checks) it. */
const RUN_BY = {
  start: 'test/docs.e2e.test.ts',
  test: 'test/docs.e2e.test.ts',
  session: 'test/docs.e2e.test.ts',
  reconcile: 'test/docs.e2e.test.ts',
  library: 'test/docs.e2e.test.ts',
  client: 'test/docs.e2e.test.ts',
  follow: 'test/docs.e2e.test.ts',
  'changes-curl': 'test/docs.e2e.test.ts',
  types: 'test/docs.e2e.test.ts',
  postgres: 'test/docs.e2e.test.ts',
  systemd: 'test/docs.e2e.test.ts',
  dockerfile: 'test/docs.e2e.test.ts',
  keys: 'test/auth/keys.e2e.test.ts',
  'webhook-receiver': 'test/webhooks/delivery.e2e.test.ts',
  'deploy-pack': 'test/runtime/package.e2e.test.ts',
  'deploy-install': 'test/runtime/package.e2e.test.ts',
  'another-project': 'test/runtime/package.e2e.test.ts',
}

describe('the README and docs/', () => {
  it('marks every block but plain text with the test that runs it', () => {
    const runnable = blocks.filter((b) => b.lang !== 'text')
    expect(runnable.map((b) => `${b.file}: ${b.name ?? '(unmarked)'}`).filter((b) => b.endsWith('(unmarked)'))).toEqual(
      [],
    )
    expect(runnable.map((b) => b.name!).sort()).toEqual(Object.keys(RUN_BY).sort())
    for (const [name, file] of Object.entries(RUN_BY))
      expect(readFileSync(join(ROOT, file), 'utf8')).toContain(`block('${name}')`)
  })

  it('keeps the README to one page, linking every page of docs/, and every link resolves', () => {
    const readme = docText('README.md')
    expect(readme.split('\n').length).toBeLessThan(250)
    for (const page of DOC_FILES.filter((f) => f !== 'README.md')) expect(readme).toContain(`](${page})`)
    for (const file of DOC_FILES) {
      for (const [, target] of docText(file).matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^https?:/.test(target!)) continue
        expect(existsSync(join(ROOT, dirname(file), target!)), `${file} links to ${target}`).toBe(true)
      }
    }
  })

  it('describes the product as it is: no history, nothing about the machines it was built on', () => {
    for (const file of DOC_FILES.filter((f) => f !== 'docs/benchmarks.md'))
      expect(docText(file), file).not.toMatch(/\bBefore,|\bused to\b|this project's (2-core )?machine|build machine/i)
  })

  it('lists exactly the error codes the service sends, as openapi.yaml does', () => {
    const expected = [[0, 200], ...Object.values(errorCodes).map(({ code, status }) => [code, status])].sort()
    expect(errorRows(docText('docs/callbacks.md')).sort()).toEqual(expected)
    expect(errorRows(spec).sort()).toEqual(expected)
  })

  it('shows the Dockerfile of the repository, and a systemd unit that runs the tested command', () => {
    const code = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'))
    expect(code(block('dockerfile'))).toEqual(code(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')))
    const unit = block('systemd')
    expect(unit).toMatch(/^ExecStart=\/opt\/im-topic-sync\/node_modules\/\.bin\/im-topic-sync serve$/m)
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m)
  })

  it('gives every start command the same memory setting (docs/deploy.md, "Memory")', () => {
    const flags = (text: string) => [...text.matchAll(/--max-(?:semi|old)-space-size=\d+/g)].map((m) => m[0])
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    const deno = JSON.parse(readFileSync(join(ROOT, 'deno.json'), 'utf8'))
    const expected = ['--max-semi-space-size=8', '--max-old-space-size=256']
    expect(flags(pkg.scripts.start)).toEqual(expected)
    expect(flags(deno.tasks.start.command)).toEqual(expected)
    expect(flags(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))).toEqual(expected)
    expect(flags(block('systemd'))).toEqual(expected)
    expect(flags(docText('docs/deploy.md').split('## Memory')[1]!.split('\n## ')[0]!)).toEqual(expected)
  })

  it('runs the test command that .ci/run runs', () => {
    expect(block('test').trim()).toBe('npm ci && npm test')
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8')
    // This suite is what `npm test` runs; .ci/run must run the README's two steps, in order.
    expect(ci.indexOf('\nnpm ci ')).toBeGreaterThan(0)
    expect(ci.indexOf('\nnpm test\n')).toBeGreaterThan(ci.indexOf('\nnpm ci '))
  })

  it('starts the service with its start command, on the embedded default', async () => {
    const code = block('start').trim()
    expect(code).toMatch(/^npm ci && /)
    // `npm ci` is what .ci/run has just done; the rest runs as typed, in bash.
    const cwd = mkdtempSync(join(scratch, 'start-'))
    const service = await startService({
      command: ['bash', ['-c', `cd ${JSON.stringify(ROOT)} && ${code.replace(/^npm ci && /, '')}`]],
      env: { IM_CALLBACK_TOKEN: undefined, DATABASE_URL: `file:${join(cwd, 'callbacks.db')}` },
    })
    const startup = JSON.parse(service.logs.find((l) => l.includes('"msg":"listening"'))!)
    expect(startup).toMatchObject({
      store: 'sqlite',
      signEnforced: false,
      url: service.url,
      docs: `${service.url}/docs`,
    })
    expect((await fetch(`${service.url}/docs`)).status).toBe(200)
    expect(await service.stop()).toBe(0)
  })

  it('runs the quick-start session as written: start, signed callback, read, follow, stop', async () => {
    const port = await freePort()
    const { stdout } = await run('bash', ['-c', `set -uo pipefail\n${block('session')}`], {
      cwd: ROOT,
      env: shellEnv({ PORT: String(port), DATABASE_URL: `file:${join(scratch, 'session.db')}` }),
      timeout: 120_000,
    })
    // The service's log lines and the session's output share the terminal, as they do for a reader.
    expect(stdout).toContain(OK_ANSWER_JSON)
    // The service logs each read as it answers it, so the topic may share its line with a log line.
    const topic = /\{"GroupId".*?"DeletedAt":null\}/.exec(stdout)?.[0]
    expect(JSON.parse(topic!)).toMatchObject({
      TopicId: sampleAfterCreateTopic.TopicId,
      Name: 'MyFirstTopic',
      DeletedAt: null,
    })
    expect(stdout).toMatch(/id: 1\nevent: change\ndata: \{"position":1,"kind":"created"/)
    // The service the session started drained and stopped, and holds nothing.
    expect(stdout).toContain('"msg":"stopped"')
    expect(await listens(`http://127.0.0.1:${port}`)).toBe(false)
  })

  it('runs the library example: a signed callback is stored, a forged one refused', async () => {
    const file = join(inPackage, 'library.mjs')
    const dbFile = join(scratch, 'library.db')
    const time = Math.floor(Date.now() / 1000)
    const query = (token: string) =>
      `SdkAppid=1400000000&CallbackCommand=Group.CallbackAfterCreateTopic&RequestTime=${time}&Sign=${sign(token, time)}`
    // After the block, a probe posts through the app the block exports, as IM would.
    const probe = `
const __post = (q) => app.request('/im/callback?' + q, { method: 'POST', body: ${JSON.stringify(JSON.stringify(sampleAfterCreateTopic))} })
const __signed = await __post(${JSON.stringify(query(TOKEN))})
const __forged = await __post(${JSON.stringify(query('undefined'))})
console.log(JSON.stringify({ signed: __signed.status, forged: __forged.status }))
server.close()
await store.close()
`
    writeFileSync(file, block('library') + probe)
    const { stdout } = await run(process.execPath, [file], {
      cwd: ROOT,
      env: shellEnv({ IM_CALLBACK_TOKEN: TOKEN, DATABASE_URL: `file:${dbFile}`, PORT: '0' }),
    })
    const lines = stdout.trim().split('\n')
    expect(lines[0]).toBe(`new topic ${sampleAfterCreateTopic.TopicId} MyFirstTopic`)
    expect(JSON.parse(lines[1]!)).toEqual({ signed: 200, forged: 401 })
    const store = await openSqliteStore(dbFile)
    expect((await store.getTopic(sampleAfterCreateTopic.TopicId))?.Name).toBe('MyFirstTopic')
    await store.close()

    // Without the variable, the example stops with a message rather than accepting the token "undefined".
    const unset = await run(process.execPath, [file], {
      cwd: ROOT,
      env: shellEnv({ DATABASE_URL: `file:${dbFile}` }),
    }).catch((e: { code: number; stderr: string }) => e)
    expect(unset).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Set IM_CALLBACK_TOKEN to the callback token of the IM console'),
    })
  })

  it('runs the client example against the real service', async () => {
    const service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'client.db')}` } })
    try {
      expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
      const file = join(inPackage, 'client.mjs')
      writeFileSync(file, `${block('client')}\nconsole.log(JSON.stringify(page.data.items.map((t) => t.TopicId)))\n`)
      const { stdout } = await run(process.execPath, [file], {
        cwd: ROOT,
        env: shellEnv({ API_TOKEN, TOPIC_SYNC_URL: service.url }),
      })
      expect(stdout.trim().split('\n')).toEqual(['MyFirstTopic null', JSON.stringify([sampleAfterCreateTopic.TopicId])])
    } finally {
      await service.stop()
    }
  })

  it('runs the followChanges example: it catches up, follows live, and stops on SIGTERM', async () => {
    const service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'follow.db')}` } })
    const file = join(inPackage, 'follow.mjs')
    writeFileSync(file, block('follow'))
    const child = spawn(process.execPath, [file], {
      cwd: ROOT,
      env: shellEnv({ API_TOKEN, TOPIC_SYNC_URL: service.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const waitFor = async (text: string) => {
      for (let waited = 0; !out.includes(text); waited += 20) {
        if (waited > 10_000) throw new Error(`no ${JSON.stringify(text)} in the example's output: ${out}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    }
    try {
      expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
      await waitFor('caught up')
      expect(
        (await sendSigned(service.url, { ...sampleAfterCreateTopic, TopicId: `${sampleAfterCreateTopic.TopicId}-2` }))
          .status,
      ).toBe(200)
      await waitFor(`2 created ${sampleAfterCreateTopic.TopicId}-2`)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(out.trim().split('\n')).toEqual([
        `1 created ${sampleAfterCreateTopic.TopicId}`,
        'caught up at 1: 1 topic(s)',
        `2 created ${sampleAfterCreateTopic.TopicId}-2`,
      ])
    } finally {
      child.kill('SIGKILL')
      await service.stop()
    }
  })

  it('runs the curl example of the change feed: a page, then the stream after position 1', async () => {
    const port = await freePort()
    const service = await startService({
      env: { DATABASE_URL: `file:${join(scratch, 'changes-curl.db')}`, PORT: String(port) },
    })
    const child = spawn('bash', ['-c', block('changes-curl')], {
      cwd: ROOT,
      env: shellEnv({ API_TOKEN, PORT: String(port) }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    try {
      for (const n of [1, 2])
        expect((await sendSigned(service.url, { ...sampleAfterCreateTopic, TopicId: `curl-${n}` })).status).toBe(200)
      // The page was read before or after the two callbacks: wait for the stream's event 2.
      for (let waited = 0; !out.includes('id: 2\n'); waited += 20) {
        if (waited > 10_000) throw new Error(`no event 2 from the curl example: ${out}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      const [page, ...stream] = out.split('\n')
      expect(JSON.parse(page!)).toMatchObject({ nextCursor: expect.stringMatching(/^\d+$/), hasMore: false })
      expect(stream.join('\n')).toMatch(
        /^retry: 1000\n: changes after position 1\n\n(: heartbeat\n\n)*id: 2\nevent: change\ndata: \{"position":2,"kind":"created"/,
      )
      expect(stream.join('\n')).not.toContain('id: 1\n')
    } finally {
      process.kill(-child.pid!, 'SIGTERM')
      await service.stop()
    }
  })

  it('runs the reconcile example against IM (a fake one of the tests), writing nothing', async () => {
    const im = await startFakeIm()
    try {
      im.addTopic('@TGS#_@TGS#g', { TopicId: '@TGS#_@TGS#g@TOPIC#_readme', TopicName: 'from IM' })
      const dbFile = join(scratch, 'reconcile.db')
      const env = shellEnv({
        IM_SDKAPPID: SDKAPPID,
        IM_ADMIN_IDENTIFIER: IM_ADMIN,
        IM_SECRET_KEY,
        IM_API_BASE: im.url,
        DATABASE_URL: `file:${dbFile}`,
      })
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block('reconcile')], { cwd: ROOT, env })
      expect(stdout.trim().split('\n')).toEqual([
        'would have created @TGS#_@TGS#g@TOPIC#_readme in @TGS#_@TGS#g: IM lists the topic and the mirror lacked it',
        '1 group(s) read from IM: 1 change(s) would be made (dry run: nothing was written), 0 failure(s).',
      ])
      const store = await openSqliteStore(dbFile)
      expect(await store.groupTopics('@TGS#_@TGS#g')).toEqual([])
      await store.close()
    } finally {
      await im.close()
    }
  })

  it('runs the TypeScript samples of /docs against the service: sign and post, read, page, follow', async () => {
    const samples = Object.fromEntries(
      Object.values(
        parse(spec).paths as Record<
          string,
          Record<string, { operationId: string; 'x-codeSamples'?: Array<{ lang: string; source: string }> }>
        >,
      )
        .flatMap((item) => Object.values(item))
        .map((op) => [op.operationId, op['x-codeSamples']?.find((x) => x.lang === 'TypeScript')?.source]),
    )
    const service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'samples.db')}` } })
    const env = shellEnv({ API_TOKEN, IM_CALLBACK_TOKEN: TOKEN, IM_SDKAPPID: SDKAPPID, IMSYNC_URL: service.url })
    /** The sample as a module beside the package, its types erased as a TypeScript runner would. */
    const write = (name: string) => {
      const file = join(inPackage, `${name}.mjs`)
      const { outputText } = ts.transpileModule(samples[name]!, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      })
      writeFileSync(file, outputText)
      return file
    }
    const runSample = async (name: string) => (await run(process.execPath, [write(name)], { cwd: ROOT, env })).stdout
    try {
      expect(await runSample('receiveCallback')).toContain("200 { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }")
      expect(await runSample('getTopic')).toContain(`TopicId: '${sampleAfterCreateTopic.TopicId}'`)
      expect(await runSample('listTopics')).toBe(`${sampleAfterCreateTopic.TopicId} MyFirstTopic\n`)
      const follower = spawn(process.execPath, [write('listChanges')], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      let out = ''
      follower.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
      const exited = new Promise<number | null>((resolve) => follower.on('exit', resolve))
      for (let waited = 0; !out.includes('\n'); waited += 20) {
        if (waited > 10_000) throw new Error(`the followChanges sample printed nothing: ${out}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      follower.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(out).toBe(`1 created ${sampleAfterCreateTopic.TopicId}\n`)
    } finally {
      await service.stop()
    }
  })

  it('generates the types with the command it gives', async () => {
    const cwd = mkdtempSync(join(scratch, 'types-'))
    copyFileSync(join(ROOT, 'openapi.yaml'), join(cwd, 'openapi.yaml'))
    symlinkSync(join(ROOT, 'node_modules'), join(cwd, 'node_modules'))
    await run('bash', ['-euo', 'pipefail', '-c', block('types')], { cwd, env: shellEnv({}) })
    const types = readFileSync(join(cwd, 'clients', 'im-topic-sync.ts'), 'utf8')
    expect(types).toContain('"/topics/{TopicId}": {')
    expect(types).toContain('"/callback": {')
  })

  it.skipIf(!postgresAvailable)(
    'starts on PostgreSQL with its DATABASE_URL example (skipped only without a server)',
    async () => {
      const code = block('postgres').trim()
      const example = 'postgres://imsync:secret@db.internal:5432/imsync'
      expect(code).toContain(example)
      const db = await createThrowawayDatabase()
      try {
        // The one change: the example's server is replaced by the test's throwaway database.
        const service = await startService({ command: ['bash', ['-c', code.replace(example, db.url)]], env: {} })
        expect(JSON.parse(service.logs.find((l) => l.includes('"msg":"listening"'))!).store).toBe('postgres')
        expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
        expect(await service.stop()).toBe(0)
      } finally {
        await db.drop()
      }
    },
  )

  it('has no block that points at a server the reader has not started', () => {
    // One port variable throughout: every URL of the session is built from $PORT.
    expect(block('session')).not.toMatch(/127\.0\.0\.1:\d/)
  })
})
