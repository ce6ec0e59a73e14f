import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createImRestClient, type ImRestClient, reconcileMirror } from '../../src/reconcile/index.ts'
import { topicBody } from '../fixtures/index.ts'
import { bearer, callbackUrl, makeApp, NOW_S, post, type TestApp } from '../helpers/app.ts'
import { type FakeIm, IM_ADMIN, IM_SECRET_KEY, startFakeIm } from '../helpers/fake-im.ts'

// IM allows custom IDs (`GroupId@TOPIC#_general`, a custom GroupId): a topic, or a whole Community, can
// be made again under the ID it had. A delete in the mirror is then not final: IM settles it.

const GROUP = '@TGS#_custom-group'
const TOPIC = `${GROUP}@TOPIC#_general`
const created = (name: string) => topicBody('x', { GroupId: GROUP, TopicId: TOPIC, Name: name })
const destroyed = {
  CallbackCommand: 'Group.CallbackAfterTopicDestroyed',
  GroupId: GROUP,
  Type: 'Community',
  TopicIdList: [TOPIC],
}
const groupDestroyed = { CallbackCommand: 'Group.CallbackAfterGroupDestroyed', GroupId: GROUP, Type: 'Community' }

describe('a topic or a group made again under the same custom ID', () => {
  let t: TestApp
  let im: FakeIm
  let client: ImRestClient
  const settle: string[] = []

  beforeEach(async () => {
    settle.length = 0
    t = await makeApp({}, { onTopicInfoChanged: (groupId) => settle.push(groupId) })
    im = await startFakeIm({ enforceRate: false })
    client = createImRestClient({
      apiBase: im.url,
      sdkAppId: '1400000000',
      identifier: IM_ADMIN,
      secretKey: IM_SECRET_KEY,
    })
  })
  afterEach(async () => {
    await t.store.close()
    await im.close()
  })

  async function send(body: { CallbackCommand: string }) {
    const res = await post(t.app, callbackUrl({ command: body.CallbackCommand }), body)
    expect(res.status).toBe(200)
  }

  async function readTopic() {
    const res = await t.app.request(`/topics/${encodeURIComponent(TOPIC)}`, { headers: bearer })
    return (await res.json()) as { Name: string; DeletedAt: string | null }
  }

  it('comes back live after reconciliation, as a created change, when IM created it after the deletion', async () => {
    await send(created('first life'))
    await send(destroyed)
    const { nextCursor } = (await (await t.app.request('/changes?after=0', { headers: bearer })).json()) as {
      nextCursor: string
    }
    await send(created('second life'))
    expect((await readTopic()).DeletedAt).not.toBeNull()
    // The create of a deleted topic sends its group to be settled by IM (the service reconciles it).
    await expect.poll(() => settle).toEqual([GROUP])

    im.addTopic(GROUP, { TopicId: TOPIC, TopicName: 'second life', CreateTime: NOW_S + 5 })
    const report = await reconcileMirror({ store: t.store, client, groupId: GROUP })
    expect(report.changes.map((c) => c.kind)).toEqual(['revive'])
    expect(await readTopic()).toMatchObject({ Name: 'second life', DeletedAt: null })
    const changes = (await (await t.app.request(`/changes?after=${nextCursor}`, { headers: bearer })).json()) as {
      items: Array<{ kind: string; topic: { TopicId: string } }>
    }
    expect(changes.items.map((c) => [c.kind, c.topic.TopicId])).toEqual([['created', TOPIC]])
  })

  it('stays deleted when IM lists the life the mirror saw destroyed (its listing lags), or no longer lists it', async () => {
    await send(created('only life'))
    await send(destroyed)
    await send(created('only life'))
    // A late create: IM's topic was created before the deletion.
    im.addTopic(GROUP, { TopicId: TOPIC, TopicName: 'only life', CreateTime: NOW_S - 60 })
    expect((await reconcileMirror({ store: t.store, client, groupId: GROUP })).changes).toEqual([])
    expect((await readTopic()).DeletedAt).not.toBeNull()
    im.groups.get(GROUP)!.clear()
    expect((await reconcileMirror({ store: t.store, client, groupId: GROUP })).changes).toEqual([])
    expect((await readTopic()).DeletedAt).not.toBeNull()
  })

  it("does not send a live topic's group to be settled when its create is delivered twice", async () => {
    await send(created('one life'))
    await send(created('one life'))
    await new Promise((r) => setTimeout(r, 50))
    expect(settle).toEqual([])
  })

  it("brings back a re-created Community's topics, which its old group's tombstone had stored deleted", async () => {
    await send(groupDestroyed)
    // The group is made again under its custom ID, and a topic in it: the old tombstone deletes it.
    await send(created('in the new group'))
    expect((await readTopic()).DeletedAt).not.toBeNull()
    im.addTopic(GROUP, { TopicId: TOPIC, TopicName: 'in the new group', CreateTime: NOW_S + 1 })
    const report = await reconcileMirror({ store: t.store, client, groupId: GROUP })
    expect(report.changes.map((c) => c.kind)).toEqual(['revive'])
    expect(await readTopic()).toMatchObject({ Name: 'in the new group', DeletedAt: null })
    // The tombstone is gone with it: the next topic of the new group is stored live from its callback.
    const next = topicBody('y', { GroupId: GROUP, TopicId: `${GROUP}@TOPIC#_second`, Name: 'second' })
    await send(next)
    const res = await t.app.request(`/topics/${encodeURIComponent(next.TopicId)}`, { headers: bearer })
    expect(((await res.json()) as { DeletedAt: string | null }).DeletedAt).toBeNull()
  })
})
