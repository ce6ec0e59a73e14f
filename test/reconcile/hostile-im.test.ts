import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Topic } from '../../src/contract/read-api.ts'
import {
  createImRestClient,
  ImApiError,
  type ImRestClient,
  MassDeleteRefused,
  reconcileMirror,
} from '../../src/reconcile/index.ts'
import { openStore, type Store } from '../../src/store/index.ts'
import { type FakeIm, IM_ADMIN, IM_SECRET_KEY, startFakeIm } from '../helpers/fake-im.ts'
import { createThrowawayDatabase, postgresAvailable } from '../helpers/postgres.ts'

// IM's answers are input: none of these may change the mirror unless it is well-formed and whole.
// Each test starts from a mirror that reconciliation brought to the truth, feeds one hostile answer,
// checks that the mirror is as it was and that the error names the call, then checks that a correct
// run afterwards still brings the truth.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-hostile-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const G1 = '@TGS#_@TGS#g1'
const G2 = '@TGS#_@TGS#g2'
const G3 = '@TGS#_@TGS#g3'
const id = (group: string, n: number) => `${group}@TOPIC#_t${n}`
const GROUP_LIST = 'get_appid_group_list'

/** The mirror as reconciliation leaves it, minus the times: what a hostile answer must not change. */
async function snapshot(store: Store): Promise<Array<Pick<Topic, 'TopicId' | 'GroupId' | 'Name' | 'DeletedAt'>>> {
  const topics: Topic[] = []
  for (const group of [G1, G2, G3]) topics.push(...(await store.groupTopics(group)))
  return topics.map(({ TopicId, GroupId, Name, DeletedAt }) => ({ TopicId, GroupId, Name, DeletedAt }))
}

const stores = [
  { kind: 'sqlite', available: true },
  { kind: 'postgres', available: postgresAvailable },
] as const

for (const { kind, available } of stores) {
  describe.skipIf(!available)(
    `reconciliation against a hostile IM, on ${kind} (PostgreSQL skipped only without a server)`,
    () => {
      let im: FakeIm
      let store: Store
      let client: ImRestClient
      let drop = async () => {}
      let truth: Awaited<ReturnType<typeof snapshot>>
      let clock = Date.now()

      beforeEach(async () => {
        clock = Date.now()
        im = await startFakeIm({ pageSize: 2, enforceRate: false })
        for (const group of [G1, G2, G3]) {
          for (const n of [1, 2]) im.addTopic(group, { TopicId: id(group, n), TopicName: `${group} topic ${n}` })
        }
        if (kind === 'sqlite') store = await openStore(`file:${join(mkdtempSync(join(scratch, 'db-')), 'mirror.db')}`)
        else {
          const db = await createThrowawayDatabase()
          store = await openStore(db.url)
          drop = db.drop
        }
        client = createImRestClient({
          apiBase: im.url,
          sdkAppId: '1400000000',
          identifier: IM_ADMIN,
          secretKey: IM_SECRET_KEY,
          timeoutMs: 500,
          retries: 1,
          maxAnswerBytes: 1024 * 1024,
          // A virtual clock: the pacing between calls (a second for the group list) costs no time here.
          now: () => clock,
          sleep: async (ms) => {
            clock += ms
          },
        })
        await reconcileMirror({ store, client })
        truth = await snapshot(store)
        expect(truth.filter((t) => t.DeletedAt === null)).toHaveLength(6)
      })
      afterEach(async () => {
        await store.close()
        await im.close()
        await drop()
      })

      /** A run whose group list IM answers with `answers`, in turn; resolves its error. */
      async function failedListing(...answers: unknown[]): Promise<ImApiError> {
        for (const answer of answers) im.fail(GROUP_LIST, { kind: 'answer', answer })
        const error = await reconcileMirror({ store, client }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(ImApiError)
        expect(await snapshot(store)).toEqual(truth)
        return error as ImApiError
      }

      /** After the hostile answers are spent, a correct run changes nothing: the mirror was kept true. */
      async function stillTrue(): Promise<void> {
        const report = await reconcileMirror({ store, client })
        expect(report.failures).toEqual([])
        expect(report.changes).toEqual([])
        expect(await snapshot(store)).toEqual(truth)
      }

      it('deletes nothing when the group list has no GroupIdList', async () => {
        const error = await failedListing({ ActionStatus: 'OK', ErrorCode: 0 })
        expect(error.message).toBe(
          "IM get_appid_group_list failed: the answer does not match IM's: TotalCount: must be a number; GroupIdList: must be an array of { GroupId }; Next: must be a number",
        )
        await stillTrue()
      })

      it('deletes nothing when GroupIdList is an object', async () => {
        const error = await failedListing({
          ActionStatus: 'OK',
          ErrorCode: 0,
          TotalCount: 3,
          GroupIdList: { GroupId: G1 },
          Next: 0,
        })
        expect(error.message).toMatch(
          /^IM get_appid_group_list failed: .*GroupIdList: must be an array of \{ GroupId \}/,
        )
        await stillTrue()
      })

      it('deletes nothing when ErrorCode is a string beside OK, and does not take it for success', async () => {
        const error = await failedListing({ ActionStatus: 'OK', ErrorCode: '10002', GroupIdList: [], Next: 0 })
        expect(error.message).toBe(
          "IM get_appid_group_list failed: the answer is not one of IM's: ErrorCode: must be a number",
        )
        await stillTrue()
      })

      it('deletes nothing when a page ends the listing early: fewer groups than TotalCount', async () => {
        const error = await failedListing({
          ActionStatus: 'OK',
          ErrorCode: 0,
          TotalCount: 3,
          GroupIdList: [{ GroupId: G1 }],
          Next: 0,
        })
        expect(error.message).toBe(
          'IM get_appid_group_list failed: it ended after 1 group(s) of the 3 its TotalCount says: the listing is not whole',
        )
        await stillTrue()
      })

      it('stops a listing whose Next goes round in a circle, and says so', async () => {
        // Next 1, then 2, then 1 again: a run that trusted it would page for ever.
        const page = (group: string, next: number) => ({
          ActionStatus: 'OK',
          ErrorCode: 0,
          TotalCount: 99,
          GroupIdList: [{ GroupId: group }],
          Next: next,
        })
        const error = await failedListing(page(G1, 1), page(G2, 2), page(G3, 1))
        expect(error.message).toBe(
          'IM get_appid_group_list failed: its Next (1) came back: the listing goes round in a circle',
        )
        expect(im.calls.filter((c) => c.command === GROUP_LIST)).toHaveLength(2 + 3)
        await stillTrue()
      })

      it.each([
        ['no TopicAndSelfInfo', { ActionStatus: 'OK', ErrorCode: 0 }, 'TopicAndSelfInfo: must be an array'],
        [
          'a TopicAndSelfInfo that is not an array',
          { ActionStatus: 'OK', ErrorCode: 0, TopicAndSelfInfo: {} },
          'TopicAndSelfInfo: must be an array',
        ],
        ['ErrorCode "10010" as a string', { ActionStatus: 'FAIL', ErrorCode: '10010' }, 'ErrorCode: must be a number'],
      ])('leaves a group as it was when get_topic answers %s', async (_, answer, problem) => {
        const report = await reconcileMirror({ store, client: onlyFor(G2, answer) })
        expect(report.failures).toHaveLength(1)
        expect(report.failures[0]).toContain(`IM get_topic for group ${G2} failed: `)
        expect(report.failures[0]).toContain(problem)
        expect(report.failures[0]).toMatch(/that group was left as it was$/)
        expect(report.changes).toEqual([])
        expect(await snapshot(store)).toEqual(truth)
        await stillTrue()
      })

      it("refuses get_topic(g2) answered with g3's topics: nothing is deleted, nothing stored under g2", async () => {
        const report = await reconcileMirror({
          store,
          client: onlyFor(G2, {
            ActionStatus: 'OK',
            ErrorCode: 0,
            TopicAndSelfInfo: [{ TopicInfo: { TopicId: id(G3, 9), TopicName: 'not g2', GroupID: G3 }, ErrorCode: 0 }],
          }),
        })
        expect(report.failures).toEqual([
          `IM get_topic for group ${G2} failed: it answered topic "${id(G3, 9)}" of group "${G3}": the answer is not this group's; that group was left as it was`,
        ])
        expect(report.changes).toEqual([])
        expect(await snapshot(store)).toEqual(truth)
        await stillTrue()
      })

      it('refuses a listing that names one topic twice', async () => {
        const info = { TopicId: id(G2, 1), TopicName: 'twice' }
        const report = await reconcileMirror({
          store,
          client: onlyFor(G2, {
            ActionStatus: 'OK',
            ErrorCode: 0,
            TopicAndSelfInfo: [{ TopicInfo: info }, { TopicInfo: { ...info, TopicName: 'twice, renamed' } }],
          }),
        })
        expect(report.failures[0]).toBe(
          `IM get_topic for group ${G2} failed: it lists topic "${id(G2, 1)}" twice; that group was left as it was`,
        )
        expect(await snapshot(store)).toEqual(truth)
      })

      it('skips only the topic whose fields no row can hold: a 5,000-character ID, a number as a name', async () => {
        im.addTopic(G2, { TopicId: `${G2}@TOPIC#_${'x'.repeat(5000)}`, TopicName: 'too long an ID' })
        im.groups.get(G2)!.set(id(G2, 1), { TopicId: id(G2, 1), TopicName: 12345 as unknown as string })
        im.addTopic(G2, { TopicId: id(G2, 3), TopicName: 'new and fine' })
        const report = await reconcileMirror({ store, client })
        expect(report.failures).toHaveLength(2)
        const skipped = `IM get_topic for group ${G2}: a topic was left as it was, the rest applied: TopicAndSelfInfo`
        expect(report.failures).toContainEqual(
          `${skipped}[2] (topic "${`${G2}@TOPIC#_${'x'.repeat(80)}`.slice(0, 80)}…"): TopicId: must be at most 512 characters, got ${`${G2}@TOPIC#_`.length + 5000}`,
        )
        expect(report.failures).toContainEqual(
          `${skipped}[0] (topic "${id(G2, 1)}"): TopicName: Invalid input: expected string, received number`,
        )
        // The good new topic is in; the one with a number for a name keeps its name and stays live.
        expect(report.changes.map((c) => [c.kind, c.topicId])).toEqual([['insert', id(G2, 3)]])
        const after = await snapshot(store)
        expect(after.find((t) => t.TopicId === id(G2, 1))).toEqual(truth.find((t) => t.TopicId === id(G2, 1)))
        expect(after.filter((t) => t.DeletedAt !== null)).toEqual([])
      })

      it('cuts off an endless answer at the cap, quickly, and changes nothing', async () => {
        im.fail(GROUP_LIST, { kind: 'endless' })
        const started = Date.now()
        const error = await reconcileMirror({ store, client }).catch((e: unknown) => e)
        expect((error as Error).message).toBe(
          'IM get_appid_group_list failed: its answer passed the cap of 1048576 bytes',
        )
        expect(Date.now() - started).toBeLessThan(5000)
        expect(await snapshot(store)).toEqual(truth)
        await stillTrue()
      })

      it('takes an answer that trickles in for a timeout, not for a body that is not JSON', async () => {
        im.fail(GROUP_LIST, { kind: 'trickle', everyMs: 50 }, 2)
        const error = await reconcileMirror({ store, client }).catch((e: unknown) => e)
        expect((error as Error).message).toBe(`IM get_appid_group_list failed: ${im.url} did not answer within 500 ms`)
        expect(await snapshot(store)).toEqual(truth)
        await stillTrue()
      })

      it('stops before deleting more than a tenth of the mirror (at least 10), and deletes when allowed', async () => {
        for (let n = 3; n <= 14; n++) im.addTopic(G1, { TopicId: id(G1, n), TopicName: `more ${n}` })
        await reconcileMirror({ store, client })
        const full = await snapshot(store)
        // IM now lists G1 without 12 of its 14 topics: more than max(10, 18 / 10) deletes in one run.
        for (let n = 3; n <= 14; n++) im.groups.get(G1)!.delete(id(G1, n))
        const error = await reconcileMirror({ store, client }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(MassDeleteRefused)
        expect((error as MassDeleteRefused).message).toBe(
          "reconciliation stopped: it would delete 12 of the mirror's 18 live topics, over the 10 one run may delete (10 %, at least 10). If IM really lost them, run it again with --allow-mass-delete (RECONCILE_ALLOW_MASS_DELETE=true in the service)",
        )
        expect((error as MassDeleteRefused).wouldDelete).toHaveLength(12)
        expect(await snapshot(store)).toEqual(full)
        const allowed = await reconcileMirror({ store, client, allowMassDelete: true })
        expect(allowed.changes.filter((c) => c.kind === 'delete')).toHaveLength(12)
      })

      it('ends a run at once when told to stop, inside a slow call to IM', async () => {
        im.fail('get_topic', { kind: 'slow', ms: 3000 })
        const stopping = new AbortController()
        const run = reconcileMirror({ store, client: patient(), signal: stopping.signal })
        await new Promise((r) => setTimeout(r, 300))
        const started = Date.now()
        stopping.abort(new Error('the service is stopping'))
        await expect(run).rejects.toThrow('the service is stopping')
        expect(Date.now() - started).toBeLessThan(1000)
        expect(await snapshot(store)).toEqual(truth)
      })

      /** A client with a longer timeout than the slow fault, so that only the abort can end the call. */
      function patient(): ImRestClient {
        return createImRestClient({
          apiBase: im.url,
          sdkAppId: '1400000000',
          identifier: IM_ADMIN,
          secretKey: IM_SECRET_KEY,
          timeoutMs: 10_000,
        })
      }

      /** The real client, except that `get_topic` for `group` answers `answer`. */
      function onlyFor(group: string, answer: unknown): ImRestClient {
        return {
          listCommunityGroupIds: (options) => client.listCommunityGroupIds(options),
          getTopics: async (groupId, options) => {
            if (groupId === group) im.fail('get_topic', { kind: 'answer', answer })
            return client.getTopics(groupId, options)
          },
        }
      }
    },
  )
}
