import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { type AddressInfo, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic, sampleAnswer, topicBody } from '../fixtures/index.ts'
import { DENO, listens, ROOT, runToExit, sendSigned, startService, startSigned } from '../helpers/service.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-start-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

// A Deno installed on its own, outside node_modules: a folder on PATH with a `deno` in it, and no
// node_modules/.bin on PATH (as in a shell where the user typed `deno task start`).
const globalBin = join(scratch, 'global-bin')
mkdirSync(globalBin)
symlinkSync(join(ROOT, 'node_modules', 'deno', 'deno'), join(globalBin, 'deno'))

// The commands the README gives, spawned as a user's shell would, and stopped by a signal sent to
// the process the user started: npm, or deno task.
const COMMANDS: Array<{ name: string; command: [string, string[]]; runtime: 'node' | 'deno'; PATH?: string }> = [
  { name: 'npm start', command: ['npm', ['start']], runtime: 'node' },
  { name: 'npm run start:deno', command: ['npm', ['run', 'start:deno']], runtime: 'deno' },
  { name: "deno task start, with the npm package's deno", command: [DENO, ['task', 'start']], runtime: 'deno' },
  {
    name: 'deno task start, with a deno of its own on PATH',
    command: ['deno', ['task', 'start']],
    runtime: 'deno',
    PATH: `${globalBin}:/usr/bin:/bin`,
  },
]

describe('the README start commands', () => {
  for (const { name, command, runtime, PATH } of COMMANDS) {
    it(`${name}: serves, passes SIGTERM on, drains a callback in flight, exits 0 and frees the port`, async () => {
      const service = await startService({
        command,
        // A generous body timeout: the held callback stays half-sent until after SIGTERM, on purpose.
        env: {
          DATABASE_URL: `file:${join(scratch, `${name.replace(/\W+/g, '-')}.db`)}`,
          BODY_TIMEOUT_MS: '10000',
          ...(PATH ? { PATH } : {}),
        },
      })
      const startup = JSON.parse(service.logs.find((l) => l.includes('"msg":"listening"'))!)
      expect(startup.runtime).toMatch(new RegExp(`^${runtime} `))
      expect(await sendSigned(service.url, sampleAfterCreateTopic)).toEqual({ status: 200, answer: sampleAnswer })

      const held = await startSigned(service.url, topicBody(`held-${runtime}`))
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200)
      const exited = service.stop('SIGTERM')
      await service.waitForLog('"msg":"stopping"')
      expect(await held.finish()).toEqual({ status: 200, answer: sampleAnswer })
      expect(await exited).toBe(0)
      expect(service.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
      // Nothing was left behind holding the port (npm and sh used to exit and orphan the server).
      expect(await listens(service.url)).toBe(false)
    })
  }

  it('npm start compiles nothing when dist/ is up to date', async () => {
    const service = await startService({
      command: ['npm', ['start']],
      env: { DATABASE_URL: `file:${join(scratch, 'fresh.db')}` },
    })
    await service.stop()
    expect(service.logs.join('\n')).not.toContain('building dist/')
  })
})

for (const runtime of ['node', 'deno'] as const) {
  it(`the ${runtime} entry gives its URL and its docs' when it starts, and warns that the read API is closed without API_TOKEN`, async () => {
    const service = await startService({
      runtime,
      env: { API_TOKEN: undefined, DATABASE_URL: `file:${join(scratch, `${runtime}-url.db`)}` },
    })
    await service.stop()
    const lines = service.logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.find((l) => l.msg === 'listening')).toMatchObject({
      url: service.url,
      docs: `${service.url}/docs`,
      readApi: false,
    })
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'API_TOKEN is not set: the read API (/topics, /changes, /events) and /metrics accept only keys made with `im-topic-sync keys create`',
      }),
    )
  })

  it(`the ${runtime} entry, on a terminal, also says in words where the service and its docs are`, async () => {
    // util-linux's script(1) gives the entry a terminal for its standard output.
    const [bin, args] = runtime === 'node' ? [process.execPath, [`${ROOT}dist/src/node.js`]] : [DENO, ['task', 'start']]
    const service = await startService({
      command: ['script', ['-qec', [bin, ...args].map((a) => JSON.stringify(a)).join(' '), '/dev/null']],
      env: { DATABASE_URL: `file:${join(scratch, `${runtime}-tty.db`)}` },
    })
    await service.waitForLog(`API reference: ${service.url}/docs`)
    expect(
      service.logs.some((l) =>
        l.includes(`im-topic-sync is listening on ${service.url} (callbacks: POST ${service.url}/callback)`),
      ),
    ).toBe(true)
    await service.stop()
  })

  describe(`the ${runtime} entry refuses to start`, () => {
    it('on a port in use, in one line that says so, with exit code 1', async () => {
      const holder: Server = createServer()
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve))
      const { port } = holder.address() as AddressInfo
      try {
        const { code, output } = await runToExit({
          runtime,
          env: {
            IM_SDKAPPID: '1400000000',
            HOST: '127.0.0.1',
            PORT: String(port),
            DATABASE_URL: `file:${join(scratch, `${runtime}-busy.db`)}`,
          },
        })
        expect(code).toBe(1)
        expect(output.trim().split('\n')).toEqual([
          `Cannot listen on 127.0.0.1:${port}: the address is already in use; stop what holds it, or set PORT to another port (EADDRINUSE)`,
        ])
      } finally {
        holder.close()
      }
    })

    for (const url of [
      'mysql://imsync:hunter2@db.internal/imsync',
      'postgress://imsync:hunter2@db.internal/imsync',
      'redis://:hunter2@cache:6379',
    ]) {
      const scheme = url.slice(0, url.indexOf(':') + 1)
      it(`on DATABASE_URL=${scheme}//…, naming the scheme, never printing the password, creating nothing`, async () => {
        const cwd = mkdtempSync(join(scratch, 'cwd-'))
        const { code, output } = await runToExit({
          runtime,
          cwd,
          env: { IM_SDKAPPID: '1400000000', DATABASE_URL: url },
        })
        expect(code).toBe(1)
        expect(output).toContain(`DATABASE_URL has the scheme "${scheme}", which this service does not support`)
        expect(output).not.toContain('hunter2')
        expect(output).not.toContain('db.internal')
        // Before, the URL became a SQLite path: a folder named after it, holding the password.
        expect(readdirSync(cwd)).toEqual([])
      })
    }
  })
}
