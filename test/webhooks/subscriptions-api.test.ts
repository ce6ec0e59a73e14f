import { afterEach, describe, expect, it } from 'vitest'
import { generateKey, type Scope } from '../../src/auth/api-key.ts'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN, callbackUrl, makeApp, NOW_MS, post, type TestApp } from '../helpers/app.ts'

// The subscription operations in process, over SQLite in memory: who may see what, and every way a
// request can be wrong, each answered with the field and what was wrong.

let t: TestApp
afterEach(() => t?.store.close())

const call = (
  path: string,
  { method = 'GET', token = API_TOKEN, body }: { method?: string; token?: string; body?: unknown } = {},
) =>
  t.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })

async function makeKey(scopes: Scope[]) {
  const { id, key, hash } = generateKey()
  await t.store.insertApiKey({ id, name: id, scopes, secretHash: hash, createdAt: new Date(NOW_MS).toISOString() })
  return { id, key }
}

const url = 'http://127.0.0.1:9/hooks'

/** A JSON answer, as the loosely typed value a test reads fields of. */
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json()

describe('POST /subscriptions', () => {
  it('answers 201 with the secret once, and never shows it again', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    await post(t.app, callbackUrl(), topicBody(1))
    const res = await call('/subscriptions', {
      method: 'POST',
      body: { url, kinds: ['created'], groupIds: ['@TGS#2J4SZEAEL'] },
    })
    expect(res.status).toBe(201)
    const made = (await json(res)) as { id: string; secret: string }
    expect(made).toMatchObject({
      url,
      kinds: ['created'],
      groupIds: ['@TGS#2J4SZEAEL'],
      status: 'active',
      owner: 'API_TOKEN',
      position: 1, // "now": after the one change so far
      lag: { changes: 0, seconds: 0 },
      failures: 0,
      lastError: null,
      nextAttemptAt: null,
    })
    expect(made.id).toMatch(/^sub_[a-z2-7]{20}$/)
    expect(made.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const read = await json(call(`/subscriptions/${made.id}`))
    expect(read.secret).toBeUndefined()
    expect(JSON.stringify(await json(call('/subscriptions')))).not.toContain(made.secret)
  })

  it('keeps the URL as the URL parser writes it: a NUL or a space percent-encoded', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    const made = await json(
      call('/subscriptions', { method: 'POST', body: { url: 'http://127.0.0.1:9/a\u0000b c?x=\ud800' } }),
    )
    expect(made.url).toBe('http://127.0.0.1:9/a%00b%20c?x=%EF%BF%BD')
    expect((await t.store.getSubscription(made.id))?.url).toBe(made.url)
  })

  it('starts from "0" to replay the feed, and from a position it was given', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    for (const n of [1, 2, 3]) await post(t.app, callbackUrl(), topicBody(n))
    const replay = await json(call('/subscriptions', { method: 'POST', body: { url, after: '0' } }))
    expect(replay).toMatchObject({ position: 0, lag: { changes: 3 } })
    const fromTwo = await json(call('/subscriptions', { method: 'POST', body: { url, after: '2' } }))
    expect(fromTwo).toMatchObject({ position: 2, lag: { changes: 1 } })
  })

  it.each([
    [{ url: 'ftp://example.com/x' }, 4015, 'url must be http: or https:, got ftp:'],
    [{ url: 'https://user:pw@example.com/x' }, 4015, 'url must not hold credentials'],
    [{ url: 'not a url' }, 4015, 'url must be an absolute http(s) URL'],
    [{ url: `https://example.com/${'x'.repeat(2100)}` }, 4015, 'url must be at most 2048 characters, got 2120'],
    [{}, 4015, 'url'],
    [{ url, groupId: ['x'] }, 4015, 'groupId'],
    [{ url, kinds: ['made'] }, 4015, 'kinds.0'],
    [{ url, kinds: [] }, 4015, 'kinds must name at least one kind'],
    [{ url, groupIds: [] }, 4015, 'groupIds must name at least one group'],
    [{ url, groupIds: ['a\u0000b'] }, 4015, 'groupIds.0'],
    [{ url, after: 'yesterday' }, 4015, 'after must be "now" or a position'],
    [{ url, after: '99' }, 4015, 'after 99 is beyond the last position of this feed (0)'],
  ])('refuses a body, naming what is wrong: %#', async (body, code, text) => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    const res = await call('/subscriptions', { method: 'POST', body })
    expect(res.status).toBe(400)
    const answer = await json(res)
    expect(answer).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: code })
    expect(answer.ErrorInfo).toContain(text)
    expect(await t.store.listSubscriptions()).toEqual([])
  })

  it('refuses a body that is not JSON, or not sent as JSON, saying so', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    const res = await call('/subscriptions', { method: 'POST', body: '{"url": ' })
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({ ErrorCode: 4015, ErrorInfo: expect.stringMatching(/not valid JSON/) })
    const plain = await t.app.request('/subscriptions', {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'text/plain' },
      body: JSON.stringify({ url }),
    })
    expect(plain.status).toBe(400)
    expect(await json(plain)).toMatchObject({
      ErrorCode: 4015,
      ErrorInfo: expect.stringContaining('content-type: application/json'),
    })
    expect(await t.store.listSubscriptions()).toEqual([])
  })

  it.each([
    ['http://127.0.0.1:8080/hooks', '127.0.0.1 is a loopback address'],
    ['http://[::1]:8080/hooks', '::1 is a loopback address'],
    ['http://10.1.2.3/hooks', '10.1.2.3 is a private address'],
    ['http://192.168.0.10/hooks', 'a private address'],
    ['http://169.254.169.254/latest/meta-data', 'a link-local address'],
    ['http://[fd00::1]/hooks', 'a unique-local address'],
    ['http://[::ffff:127.0.0.1]/hooks', 'a loopback address'],
    ['http://localhost:8080/hooks', 'localhost resolves to'],
  ])('refuses %s with 4021 unless WEBHOOK_ALLOW_PRIVATE_URLS=true', async (target, text) => {
    t = await makeApp()
    const res = await call('/subscriptions', { method: 'POST', body: { url: target } })
    expect(res.status).toBe(400)
    const answer = await json(res)
    expect(answer.ErrorCode).toBe(4021)
    expect(answer.ErrorInfo).toContain(text)
    expect(answer.ErrorInfo).toContain('WEBHOOK_ALLOW_PRIVATE_URLS=true')
  })
})

describe('who sees which subscription', () => {
  it('needs subscriptions:write, and shows a key only its own; API_TOKEN sees all', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    // Every key exists before the first request: a replica reads a key it does not know at most once a second.
    const reader = await makeKey(['changes:read'])
    const teamA = await makeKey(['subscriptions:write'])
    const teamB = await makeKey(['subscriptions:write'])
    const refused = await call('/subscriptions', { token: reader.key })
    expect(refused.status).toBe(403)
    expect((await json(refused)).ErrorInfo).toContain('subscriptions:write')

    const a = await json(call('/subscriptions', { method: 'POST', token: teamA.key, body: { url } }))
    const b = await json(call('/subscriptions', { method: 'POST', token: teamB.key, body: { url } }))
    expect(a.owner).toBe(teamA.id)

    const listA = await json(call('/subscriptions', { token: teamA.key }))
    expect(listA.items.map((s: { id: string }) => s.id)).toEqual([a.id])
    const all = await json(call('/subscriptions'))
    expect(all.items.map((s: { id: string }) => s.id).sort()).toEqual([a.id, b.id].sort())

    for (const [method, path] of [
      ['GET', `/subscriptions/${b.id}`],
      ['DELETE', `/subscriptions/${b.id}`],
      ['POST', `/subscriptions/${b.id}/enable`],
      ['POST', `/subscriptions/${b.id}/rotate-secret`],
      ['GET', `/subscriptions/${b.id}/attempts`],
    ] as const) {
      const res = await call(path, { method, token: teamA.key })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect((await json(res)).ErrorCode).toBe(4014)
    }
    expect((await t.store.getSubscription(b.id))?.status).toBe('active')
  })

  it('disables the subscriptions of a key when it is revoked', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' })
    const team = await makeKey(['subscriptions:write'])
    const made = await json(call('/subscriptions', { method: 'POST', token: team.key, body: { url } }))
    expect(await t.store.revokeApiKey(team.id, new Date(NOW_MS).toISOString())).toBe(true)
    const after = await json(call(`/subscriptions/${made.id}`))
    expect(after).toMatchObject({ status: 'disabled', disabledReason: `the key ${team.id} that made it was revoked` })
    // Not even API_TOKEN turns it back on: the team's access ended.
    const enable = await call(`/subscriptions/${made.id}/enable`, { method: 'POST' })
    expect(enable.status).toBe(400)
    expect((await json(enable)).ErrorInfo).toContain(`The key ${team.id} that made this subscription was revoked`)
    expect((await t.store.getSubscription(made.id))?.status).toBe('disabled')
  })
})

describe('a subscription over its life', () => {
  it('rotates its secret with a grace period, enables, and deletes', async () => {
    t = await makeApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_SECRET_GRACE_SECONDS: '3600' })
    const made = await json(call('/subscriptions', { method: 'POST', body: { url } }))
    const rotated = await json(call(`/subscriptions/${made.id}/rotate-secret`, { method: 'POST' }))
    expect(rotated.secret).toMatch(/^whsec_/)
    expect(rotated.secret).not.toBe(made.secret)
    expect(rotated.previousSecretExpiresAt).toBe(new Date(NOW_MS + 3_600_000).toISOString())
    const stored = await t.store.getSubscription(made.id)
    expect(stored).toMatchObject({ secret: rotated.secret, previousSecret: made.secret })

    await t.store.updateSubscription(made.id, {
      status: 'disabled',
      disabledReason: 'test',
      failures: 8,
      nextAttemptAtMs: 5,
    })
    const enabled = await json(call(`/subscriptions/${made.id}/enable`, { method: 'POST' }))
    expect(enabled).toMatchObject({ status: 'active', disabledReason: null, failures: 0, nextAttemptAt: null })

    expect((await call(`/subscriptions/${made.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await call(`/subscriptions/${made.id}`)).status).toBe(404)
    expect(await t.store.listAttempts(made.id, 10)).toEqual([])
  })
})
