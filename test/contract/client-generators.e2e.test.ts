import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic, topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { ROOT, type RunningService, sendSigned, startService } from '../helpers/service.ts'
import { runTool } from '../helpers/tools.ts'

// Other teams generate clients from openapi.yaml with tools we did not write. Two TypeScript
// generators, as those teams would run them: generate, type-check the client and a small program
// with `tsc --strict`, and run the program against the real service: list, page, fetch the sample
// topic by its raw ID (by path and by the ?TopicId= query), read /events, and get the typed 401 and
// 404 refusals.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-clients-'))
let service: RunningService

/** Type-checks a generated client and its program with the repository's TypeScript, strictly. */
function typecheck(dir: string): { status: number | null; output: string } {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'Bundler',
        lib: ['ES2022', 'DOM', 'DOM.Iterable'],
        types: [],
        skipLibCheck: false,
      },
      include: ['**/*.ts'],
    }),
  )
  const result = spawnSync(
    process.execPath,
    [`${ROOT}node_modules/typescript/bin/tsc`, '-p', join(dir, 'tsconfig.json')],
    { encoding: 'utf8' },
  )
  return { status: result.status, output: result.stdout + result.stderr }
}

/** What the programs in ./clients report (they are type-checked with their generated client, not here). */
interface Report {
  firstNames: string[]
  secondNames: string[]
  byPath: { status: number; topicId: string | undefined }
  byQuery: string[]
  eventCommands: string[]
  notFound: { status: number; errorCode: number | undefined; actionStatus: string | undefined }
  unauthorized: { status: number; errorCode: number | undefined }
}
type Program = { run(baseUrl: string, token: string, topicId: string): Promise<Report> }

/** What both programs must report, from the topics the suite stored. */
function expectReport(report: Report) {
  expect(report.firstNames).toEqual(['MyFirstTopic', 'topic 1'])
  expect(report.secondNames).toEqual(['topic 2', 'topic 3'])
  expect(report.byPath).toEqual({ status: 200, topicId: sampleAfterCreateTopic.TopicId })
  expect(report.byQuery).toEqual([sampleAfterCreateTopic.TopicId])
  expect(report.eventCommands).toHaveLength(4)
  expect(new Set(report.eventCommands)).toEqual(new Set(['Group.CallbackAfterCreateTopic']))
  expect(report.notFound).toEqual({ status: 404, errorCode: 4014, actionStatus: 'FAIL' })
  expect(report.unauthorized).toEqual({ status: 401, errorCode: 4013 })
}

/**
 * Puts the program of ./clients beside the client generated in `dir`, type-checks both strictly, runs
 * the program against the service, and checks what it reports.
 */
async function checkProgram(dir: string, program: string) {
  copyFileSync(`${ROOT}test/contract/clients/${program}`, join(dir, 'program.ts'))
  const checked = typecheck(dir)
  expect(checked.output).toBe('')
  expect(checked.status).toBe(0)
  const { run } = (await import(join(dir, 'program.ts'))) as Program
  expectReport(await run(service.url, API_TOKEN, sampleAfterCreateTopic.TopicId))
}

describe('clients generated from openapi.yaml by third-party generators', () => {
  beforeAll(async () => {
    service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'clients.db')}` } })
    // The sample topic (whose ID holds '@' and '#') and three more.
    for (const body of [sampleAfterCreateTopic, topicBody(1), topicBody(2), topicBody(3)])
      expect((await sendSigned(service.url, body)).status).toBe(200)
  }, 60_000)
  afterAll(async () => {
    await service?.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('@hey-api/openapi-ts: generates, type-checks strictly, and works against the service', async () => {
    const dir = join(scratch, 'hey-api')
    mkdirSync(dir)
    const generated = await runTool(
      `${ROOT}node_modules/@hey-api/openapi-ts/bin/run.js`,
      ['--input', `${ROOT}openapi.yaml`, '--output', join(dir, 'generated')],
      { cwd: dir },
    )
    expect(generated.code, generated.output).toBe(0)
    await checkProgram(dir, 'hey-api.ts')
  }, 120_000)

  it('orval (fetch client): generates, type-checks strictly, and works against the service', async () => {
    const dir = join(scratch, 'orval')
    mkdirSync(dir)
    writeFileSync(
      join(dir, 'orval.config.cjs'),
      `module.exports = ${JSON.stringify({
        sync: {
          input: { target: `${ROOT}openapi.yaml` },
          output: { target: join(dir, 'generated', 'api.ts'), client: 'fetch', mode: 'single', baseUrl: service.url },
        },
      })}`,
    )
    const generated = await runTool(`${ROOT}node_modules/orval/dist/bin/orval.js`, ['--config', 'orval.config.cjs'], {
      cwd: dir,
    })
    expect(generated.code, generated.output).toBe(0)
    await checkProgram(dir, 'orval.ts')
  }, 120_000)
})
