import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run-cli.ts'
import type { Topic } from '../../src/contract/read-api.ts'
import { createLogger } from '../../src/log/index.ts'
import { createImRestClient, createReconciler } from '../../src/reconcile/index.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN, SDKAPPID } from '../helpers/app.ts'
import { type FakeIm, IM_ADMIN, IM_SECRET_KEY, startFakeIm } from '../helpers/fake-im.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'
import { type RunningService, sendSigned, startService } from '../helpers/service.ts'

const scratch = mkdtempSync(join(tmpdir(), 'imsync-reconcile-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const GROUP = '@TGS#_@TGS#cQVLVHIM62CJ'
const OTHER = '@TGS#_@TGS#other'
const id = (n: number, group = GROUP) => `${group}@TOPIC#_t${n}`
const create = (n: number, group = GROUP) => topicBody(n, { GroupId: group, TopicId: id(n, group) })

async function readTopic(service: RunningService, topicId: string): Promise<Topic | undefined> {
  const res = await fetch(`${service.url}/topics/${encodeURIComponent(topicId)}`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  })
  return res.status === 404 ? undefined : ((await res.json()) as Topic)
}

/** Polls until `check` holds, for up to 10 s: the service reconciles in the background. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  let value = await read()
  for (let waited = 0; !check(value) && waited < 10_000; waited += 100) {
    await new Promise((r) => setTimeout(r, 100))
    value = await read()
  }
  return value
}

const stores = [
  { kind: 'sqlite', available: true },
  { kind: 'postgres', available: postgresAvailable },
] as const

for (const { kind, available } of stores) {
  describe.skipIf(!available)(`reconciliation with IM on ${kind} (PostgreSQL skipped only without a server)`, () => {
    let im: FakeIm
    let databaseUrl: string
    let drop: () => Promise<void> = async () => {}
    const services: RunningService[] = []

    beforeEach(async () => {
      timeoutMs = '5000'
      im = await startFakeIm()
      if (kind === 'sqlite') databaseUrl = `file:${join(mkdtempSync(join(scratch, 'db-')), 'mirror.db')}`
      else {
        const db = await createThrowawayDatabase()
        databaseUrl = db.url
        drop = db.drop
      }
    })
    afterEach(async () => {
      await Promise.all(services.splice(0).map((s) => s.stop()))
      await im.close()
      await drop()
    })

    let timeoutMs = '5000'
    const env = () => ({
      DATABASE_URL: databaseUrl,
      IM_ADMIN_IDENTIFIER: IM_ADMIN,
      IM_SECRET_KEY: IM_SECRET_KEY,
      IM_API_BASE: im.url,
      RECONCILE_INTERVAL: '0',
      IM_API_TIMEOUT_MS: timeoutMs,
    })
    const start = async () => {
      const service = await startService({ env: env() })
      services.push(service)
      return service
    }
    const cli = async (args: string[]) => {
      const out: string[] = []
      const err: string[] = []
      const code = await runCli(['reconcile', ...args], {
        env: { IM_SDKAPPID: SDKAPPID, ...env() },
        out: (l) => out.push(l),
        err: (l) => err.push(l),
      })
      return { code, out, err }
    }
    const withStore = async <T>(work: (store: Store) => Promise<T>): Promise<T> => {
      const store = await openStore(databaseUrl)
      try {
        return await work(store)
      } finally {
        await store.close()
      }
    }

    it('adds the topics created in IM while the service was stopped, when it starts again', async () => {
      const first = await start()
      await first.waitForLog('"msg":"reconciled"')
      im.addTopic(GROUP, { TopicId: id(1), TopicName: 'topic 1' })
      expect((await sendSigned(first.url, create(1))).status).toBe(200)
      await first.stop()
      services.length = 0
      // While the service is down, two topics are created in IM: their callbacks are lost.
      im.addTopic(GROUP, { TopicId: id(2), TopicName: 'made while down', Introduction: 'hello' })
      im.addTopic(OTHER, { TopicId: id(3, OTHER), TopicName: 'in another group' })
      const second = await start()
      expect(JSON.parse(second.logs.find((l) => l.includes('"msg":"listening"'))!).reconcile).toEqual({
        apiBase: im.url,
        everySeconds: 0,
      })
      // Groups are reconciled one after another: the run is over when it says so.
      await second.waitForLog('"msg":"reconciled"')
      const two = await readTopic(second, id(2))
      expect(two).toMatchObject({
        Name: 'made while down',
        Introduction: 'hello',
        Owner_Account: null,
        Operator_Account: null,
        DeletedAt: null,
      })
      expect(await readTopic(second, id(3, OTHER))).toMatchObject({ GroupId: OTHER, Name: 'in another group' })
      // The topic the callback stored keeps what only the callback knew.
      expect(await readTopic(second, id(1))).toMatchObject({ Owner_Account: 'leckie', Name: 'topic 1' })
      // A restart within a second of the first run's group list is refused by IM (429); the retry
      // with backoff gets through.
      const events = await withStore((s) => s.listEvents({ limit: 100, after: 0 }))
      expect(
        events.items
          .filter((e) => e.Source === 'reconcile')
          .map((e) => e.Query.TopicId)
          .sort(),
      ).toEqual([id(2), id(3, OTHER)].sort())
    })

    // The runtime, not the store, is what this one tries: it runs on SQLite alone.
    if (kind === 'sqlite')
      it('reconciles on Deno as on Node', async () => {
        im.addTopic(GROUP, { TopicId: id(1), TopicName: 'seen by deno' })
        const service = await startService({ runtime: 'deno', env: env() })
        services.push(service)
        expect(
          await eventually(
            () => readTopic(service, id(1)),
            (t) => t !== undefined,
          ),
        ).toMatchObject({ Name: 'seen by deno', Owner_Account: null })
      })

    it('applies a rename within seconds of Group.CallbackAfterTopicInfoChanged', async () => {
      im.addTopic(GROUP, { TopicId: id(1), TopicName: 'topic 1' })
      const service = await start()
      expect((await sendSigned(service.url, create(1))).status).toBe(200)
      await service.waitForLog('"msg":"reconciled"')
      im.addTopic(GROUP, { TopicId: id(1), TopicName: 'renamed in IM', Notification: 'new notice' })
      // IM's documented body: the group and the new fields, no TopicId.
      const changed = {
        CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
        GroupId: GROUP,
        Type: 'Community',
        Operator_Account: 'leckie',
        Name: 'renamed in IM',
        Notification: 'new notice',
      }
      const sentAt = Date.now()
      expect((await sendSigned(service.url, changed)).status).toBe(200)
      const topic = await eventually(
        () => readTopic(service, id(1)),
        (t) => t?.Name === 'renamed in IM',
      )
      expect(topic).toMatchObject({ Name: 'renamed in IM', Notification: 'new notice', Owner_Account: 'leckie' })
      expect(Date.now() - sentAt).toBeLessThan(8000)
    })

    it('brings a topic made again under its custom ID back live from the callbacks alone, within seconds', async () => {
      const custom = `${GROUP}@TOPIC#_general`
      const body = create(1)
      const general = { ...body, TopicId: custom, Name: 'general' }
      im.addTopic(GROUP, { TopicId: custom, TopicName: 'general', CreateTime: Math.floor(Date.now() / 1000) - 60 })
      const service = await start()
      await service.waitForLog('"msg":"reconciled"')
      expect((await sendSigned(service.url, general)).status).toBe(200)
      const destroyed = {
        CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
        GroupId: GROUP,
        Type: 'Community',
        TopicIdList: [custom],
      }
      im.groups.get(GROUP)!.delete(custom)
      expect((await sendSigned(service.url, destroyed)).status).toBe(200)
      expect((await readTopic(service, custom))?.DeletedAt).not.toBeNull()
      // Made again in IM under the same ID, and its create callback arrives: answered OK as a duplicate.
      await new Promise((r) => setTimeout(r, 1100))
      im.addTopic(GROUP, { TopicId: custom, TopicName: 'general, again', CreateTime: Math.floor(Date.now() / 1000) })
      const sentAt = Date.now()
      expect((await sendSigned(service.url, { ...general, Name: 'general, again' })).status).toBe(200)
      const topic = await eventually(
        () => readTopic(service, custom),
        (t) => t?.DeletedAt === null,
      )
      expect(topic).toMatchObject({ Name: 'general, again', DeletedAt: null })
      expect(Date.now() - sentAt).toBeLessThan(8000)
    })

    it('marks every topic of a disbanded Community deleted, from the callback and from reconciliation', async () => {
      for (const n of [1, 2]) im.addTopic(GROUP, { TopicId: id(n), TopicName: `topic ${n}` })
      for (const n of [3, 4]) im.addTopic(OTHER, { TopicId: id(n, OTHER), TopicName: `topic ${n}` })
      const service = await start()
      await service.waitForLog('"msg":"reconciled"')
      const disbanded = {
        CallbackCommand: 'Group.CallbackAfterGroupDestroyed',
        GroupId: GROUP,
        Type: 'Community',
        Owner_Account: 'leckie',
        Name: 'a community',
      }
      expect((await sendSigned(service.url, disbanded)).status).toBe(200)
      for (const n of [1, 2]) expect((await readTopic(service, id(n)))?.DeletedAt).not.toBeNull()
      // The other group is disbanded while no callback reaches the service: a full run finds it gone.
      im.groups.delete(OTHER)
      im.groups.delete(GROUP)
      const { code, out } = await cli([])
      expect(code).toBe(0)
      expect(out).toContain(`deleted ${id(3, OTHER)} in ${OTHER}: IM no longer lists the group`)
      for (const n of [3, 4]) expect((await readTopic(service, id(n, OTHER)))?.DeletedAt).not.toBeNull()
    })

    it('stores a topic whose destroy arrived before its create as deleted', async () => {
      const service = await start()
      const destroyed = {
        CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
        GroupId: GROUP,
        Type: 'Community',
        TopicIdList: [id(7)],
      }
      expect((await sendSigned(service.url, destroyed)).status).toBe(200)
      expect((await sendSigned(service.url, create(7))).status).toBe(200)
      expect((await readTopic(service, id(7)))?.DeletedAt).not.toBeNull()
    })

    it('runs one reconciliation at a time across replicas', async () => {
      for (const n of [1, 2, 3]) im.addTopic(GROUP, { TopicId: id(n), TopicName: `topic ${n}` })
      im.fail('get_topic', { kind: 'slow', ms: 300 })
      const [a, b] = [await openStore(databaseUrl), await openStore(databaseUrl)]
      try {
        const client = () =>
          createImRestClient({ apiBase: im.url, sdkAppId: SDKAPPID, identifier: IM_ADMIN, secretKey: IM_SECRET_KEY })
        const log = createLogger({ level: 'silent' })
        const replicas = [a, b].map((store) => createReconciler({ store, client: client(), log, intervalMs: 0 }))
        const reports = await Promise.all(replicas.map((r) => r.run()))
        expect(reports.filter((r) => r === undefined)).toHaveLength(1)
        expect(reports.find((r) => r !== undefined)?.changes).toHaveLength(3)
        expect(im.calls.filter((c) => c.command === 'get_appid_group_list')).toHaveLength(1)
        // The lease was given back: the next run on the other replica goes ahead, and finds nothing to do.
        const again = await replicas[1]!.run()
        expect(again?.changes).toEqual([])
        await Promise.all(replicas.map((r) => r.stop()))
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })

    it('changes nothing and says why when IM fails: an error code, or no answer in time', async () => {
      im.addTopic(GROUP, { TopicId: id(1), TopicName: 'topic 1' })
      im.fail('get_appid_group_list', { kind: 'error', errorCode: 70001, errorInfo: 'usersig expired' })
      const refused = await cli([])
      expect(refused.code).toBe(1)
      expect(refused.err).toEqual([
        'IM get_appid_group_list failed: ErrorCode 70001 (usersig expired); nothing was changed.',
      ])
      expect(await withStore((s) => s.groupTopics(GROUP))).toEqual([])

      // One group's topics do not come in time (four tries): that group is left as it was.
      im.addTopic(OTHER, { TopicId: id(2, OTHER), TopicName: 'topic 2' })
      im.fail('get_topic', { kind: 'slow', ms: 1000 }, 4)
      timeoutMs = '200'
      const slow = await cli([])
      expect(slow.code).toBe(1)
      expect(slow.err).toEqual([
        `IM get_topic for group ${GROUP} failed: ${im.url} did not answer within 200 ms; that group was left as it was.`,
      ])
      expect(await withStore((s) => s.groupTopics(GROUP))).toEqual([])
      expect((await withStore((s) => s.groupTopics(OTHER))).map((t) => t.TopicId)).toEqual([id(2, OTHER)])
    })

    it('prints with --dry-run what a real run would change, and changes nothing', async () => {
      // IM has the topics it calls back about: the service's own startup run must find them there.
      for (const n of [1, 2]) im.addTopic(GROUP, { TopicId: id(n), TopicName: `topic ${n}` })
      const service = await start()
      for (const n of [1, 2]) expect((await sendSigned(service.url, create(n))).status).toBe(200)
      await service.stop()
      services.length = 0
      im.addTopic(GROUP, { TopicId: id(1), TopicName: 'renamed' })
      im.groups.get(GROUP)!.delete(id(2))
      im.addTopic(GROUP, { TopicId: id(3), TopicName: 'new' })
      const before = await withStore((s) => s.groupTopics(GROUP))
      const dry = await cli(['--dry-run', '--group', GROUP])
      expect(dry.code).toBe(0)
      expect(await withStore((s) => s.groupTopics(GROUP))).toEqual(before)
      const real = await cli(['--group', GROUP])
      expect(dry.out.slice(0, -1)).toEqual(real.out.slice(0, -1).map((line) => `would have ${line}`))
      expect(real.out.slice(0, -1).sort()).toEqual([
        `created ${id(3)} in ${GROUP}: IM lists the topic and the mirror lacked it`,
        `deleted ${id(2)} in ${GROUP}: IM no longer lists the topic in its group`,
        `updated ${id(1)} in ${GROUP}: IM's profile differs: Name "topic 1" -> "renamed"`,
      ])
      expect(dry.out.at(-1)).toBe(
        '1 group(s) read from IM: 3 change(s) would be made (dry run: nothing was written), 0 failure(s).',
      )
    })
  })
}
