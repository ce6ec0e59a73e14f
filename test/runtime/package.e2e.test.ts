import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { block } from '../helpers/doc-blocks.ts'
import { DENO, listens, ROOT, sendSigned, startService } from '../helpers/service.ts'

// The production path as docs/deploy.md gives it: `npm pack`, the tarball installed with
// `npm install --omit=dev` into an empty folder, and `npx im-topic-sync serve`, on Node and on Deno.

const run = promisify(execFile)
const scratch = mkdtempSync(join(tmpdir(), 'imsync-package-'))
// Where docs/deploy.md's install block puts the service: a folder beside the tarball.
const app = join(scratch, 'im-topic-sync')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Bytes under `path`, without following links. */
function sizeOf(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false })
  if (!stat) return 0
  if (!stat.isDirectory()) return stat.size
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0)
}

/**
 * npm as this machine's user has it: from its cache first, with no audit or funding request. The
 * registry may be out of reach (a closed network), and the blocks run as written. A version newer than
 * the lockfile's is fetched: a request that stalls is given up after 30 s and tried again (npm's own
 * default waits 5 minutes), within the tests' time.
 */
const NPM_OFFLINE = {
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_fetch_timeout: '30000',
  npm_config_fetch_retries: '3',
}
/** How long an install and its first start may take: three stalled fetches and the rest. */
const INSTALL_MS = 200_000

beforeAll(async () => {
  // docs/deploy.md's `npm pack`, with --ignore-scripts: prepack would rebuild dist/ under the other
  // suites' running services, and the e2e tier's setup has made sure that dist/ is fresh.
  expect(block('deploy-pack').trim()).toBe('npm pack')
  await run('npm', ['pack', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT })
}, 180_000)

describe('the packed tarball, installed with --omit=dev into an empty folder', () => {
  // The tests below use the folder this first one installs.
  it(
    "installs and serves as docs/deploy.md's block says, stopped by Ctrl-C",
    async () => {
      const service = await startService({
        command: ['bash', ['-c', `set -e\n${block('deploy-install')}`]],
        cwd: scratch,
        group: true,
        env: NPM_OFFLINE,
        startMs: INSTALL_MS,
      })
      try {
        expect(service.logs.some((l) => l.includes('"store":"sqlite"'))).toBe(true)
        expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
        await service.stop('SIGINT')
        expect(service.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
        expect(existsSync(join(app, 'data', 'callbacks.db'))).toBe(true)
      } finally {
        service.child.kill('SIGKILL')
      }
    },
    INSTALL_MS + 20_000,
  )

  it('holds the runtime dependencies only, in under 60 MB', () => {
    const modules = join(app, 'node_modules')
    const mb = sizeOf(modules) / 1024 / 1024
    console.log(
      `installed node_modules: ${mb.toFixed(1)} MB in ${readdirSync(modules).filter((n) => !n.startsWith('.')).length} top-level entries`,
    )
    expect(mb).toBeLessThan(60)
    for (const dev of ['typescript', 'vitest', 'deno', '@scalar/api-reference', 'playwright-core'])
      expect(existsSync(join(modules, dev)), dev).toBe(false)
  })

  // npx does not pass SIGTERM on to what it runs (it exits and leaves it running): it is for a terminal,
  // where Ctrl-C signals the whole group. A service manager runs node_modules/.bin/im-topic-sync.
  describe.each([
    { name: 'npx im-topic-sync serve, stopped by Ctrl-C', bin: 'npx', args: ['im-topic-sync', 'serve'], group: true },
    {
      name: 'node_modules/.bin/im-topic-sync serve, stopped by SIGTERM',
      bin: 'node_modules/.bin/im-topic-sync',
      args: ['serve'],
      group: false,
    },
    {
      name: 'deno run -A …/cli/main.js serve, stopped by SIGTERM',
      bin: DENO,
      args: ['run', '-A', 'node_modules/im-topic-sync/dist/src/cli/main.js', 'serve'],
      group: false,
    },
  ])('$name', ({ name, bin, args, group }) => {
    it('stores a signed callback, serves the topic back and the docs page, and drains on the signal', async () => {
      const service = await startService({
        command: [bin, args],
        cwd: app,
        group,
        env: { DATABASE_URL: `file:${join(scratch, `${name.replace(/\W+/g, '-')}.db`)}` },
      })
      try {
        expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
        const topic = await fetch(`${service.url}/topics/${encodeURIComponent(sampleAfterCreateTopic.TopicId)}`, {
          headers: { authorization: `Bearer ${API_TOKEN}` },
        })
        expect(topic.status).toBe(200)
        expect(await topic.json()).toMatchObject({ TopicId: sampleAfterCreateTopic.TopicId, Name: 'MyFirstTopic' })
        const docs = await fetch(`${service.url}/docs`)
        expect(docs.status).toBe(200)
        expect(await docs.text()).toContain('api-reference')
        const code = await service.stop(group ? 'SIGINT' : 'SIGTERM')
        // The service itself drained and exited 0; npx, signalled too, exits by the signal.
        expect(service.logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true)
        if (!group) expect(code).toBe(0)
        expect(await listens(service.url)).toBe(false)
      } finally {
        service.child.kill('SIGKILL')
      }
    })
  })

  it(
    "installs in another project as docs/deploy.md's block says, by the tarball",
    async () => {
      const other = join(scratch, 'other')
      mkdirSync(other)
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', block('another-project')], {
        cwd: other,
        env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...NPM_OFFLINE },
      })
      expect(stdout.trim().split('\n').at(-1)).toBe('17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061')
    },
    INSTALL_MS + 20_000,
  )

  it("gives another project the package's client by its name", async () => {
    const service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'client.db')}` } })
    try {
      expect((await sendSigned(service.url, sampleAfterCreateTopic)).status).toBe(200)
      const file = join(app, 'client.mjs')
      writeFileSync(
        file,
        `import { createTopicSyncClient } from 'im-topic-sync/client'
const client = createTopicSyncClient({ baseUrl: process.env.TOPIC_SYNC_URL, apiToken: process.env.API_TOKEN })
const { data } = await client.GET('/topics', { params: { query: { limit: 10 } } })
console.log(data.items.map((t) => t.TopicId).join(','))
`,
      )
      const { stdout } = await run(process.execPath, [file], {
        cwd: app,
        env: { PATH: process.env.PATH, TOPIC_SYNC_URL: service.url, API_TOKEN },
      })
      expect(stdout.trim()).toBe(sampleAfterCreateTopic.TopicId)
    } finally {
      await service.stop()
    }
  })
})
