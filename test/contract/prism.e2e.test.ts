import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sign } from '../../src/verify/index.ts'
import { sampleAfterCreateTopic, sampleTopicDestroyed } from '../fixtures/index.ts'
import { API_TOKEN, SDKAPPID, TOKEN } from '../helpers/app.ts'
import { freePort, ROOT, type RunningService, startService } from '../helpers/service.ts'
import { startTool } from '../helpers/tools.ts'

// openapi.yaml as a third party uses it: the real service behind Stoplight Prism's validating proxy.
// Prism forwards every request and reports, in the `sl-violations` header, what it finds wrong with
// the request and with the service's answer. The service's answers must never violate the contract,
// and Prism and the service must judge every request alike: refused by one exactly when refused by
// the other, except where a documented quirk of Prism's (below, by name) is the whole difference.

interface Violation {
  location: string[]
  code: string | number
  message: string
}

interface Case {
  name: string
  method?: 'GET' | 'POST'
  path: string
  body?: unknown
  headers?: Record<string, string>
}

/**
 * Prism's own behaviours that make it judge a request unlike the contract says. Each names what
 * Prism does, where, and which requests it touches; a difference is excused only when the quirk's
 * test says the case is one it touches AND Prism's violations are exactly the ones it causes.
 */
const QUIRKS = [
  {
    name: 'Prism reads a body as JSON only when Content-Type says JSON',
    reason:
      "prism-http-server's parseRequestBody parses application/json and application/*+json bodies and reads any other body as a string, " +
      'so a JSON object sent with no Content-Type (as IM sends it) or as text/plain is validated as a string: "Request body must be object".',
    touches: (c: Case) => c.body !== undefined && !/json/.test(c.headers?.['content-type'] ?? ''),
    explains: (v: Violation[]) =>
      v.some((x) => /must be object/.test(x.message)) &&
      v.every(
        (x) =>
          x.location.join('.') === 'request.body' &&
          ((x.code === 'type' && /must be object/.test(x.message)) || x.code === 'oneOf'),
      ),
  },
  {
    name: 'Prism converts an integer query parameter with Number()',
    reason:
      'Prism coerces query strings to the schema type the way JavaScript does, so "1e2", "0x10", " 3", "+5" and "05" pass as integers; ' +
      'the contract says limit is decimal digits, and the service refuses them (400, naming limit).',
    touches: (c: Case) => /[?&]limit=(1e2|0x10|%203|%2B5|05)(&|$)/.test(c.path),
    explains: (v: Violation[]) => v.length === 0,
  },
]

const now = () => Math.floor(Date.now() / 1000)
function callbackPath(command: string, extra: Record<string, string> = {}) {
  const time = now()
  const query = new URLSearchParams({
    SdkAppid: SDKAPPID,
    CallbackCommand: command,
    contenttype: 'json',
    ClientIP: '127.0.0.1',
    OptPlatform: 'RESTAPI',
    RequestTime: String(time),
    Sign: sign(TOKEN, time),
    ...extra,
  })
  return `/callback?${query}`
}
const json = { 'content-type': 'application/json' }
const auth = { authorization: `Bearer ${API_TOKEN}` }
const create = (fields: Record<string, unknown> = {}) => ({
  ...sampleAfterCreateTopic,
  TopicId: `@TGS#_p@TOPIC#_${Math.random().toString(36).slice(2)}`,
  ...fields,
})
const callback = (
  name: string,
  body: Record<string, unknown> | unknown[],
  headers: Record<string, string> = json,
): Case => ({
  name,
  method: 'POST',
  path: callbackPath(Array.isArray(body) ? 'Group.CallbackAfterCreateTopic' : String(body.CallbackCommand)),
  body,
  headers,
})
const { TopicId: _dropped, ...withoutTopicId } = sampleAfterCreateTopic

/** Valid and invalid requests of every operation, callbacks signed as IM signs them. */
const battery = (): Case[] => [
  callback('the documented sample', create()),
  callback('the sample with a field IM may add later', create({ EventTime: 1669872112000 })),
  callback('the sample without UserDefinedDataList', create({ UserDefinedDataList: undefined })),
  callback('a create without TopicId', withoutTopicId),
  callback('a create with TopicId 123', create({ TopicId: 123 })),
  callback('a create with an empty TopicId', create({ TopicId: '' })),
  callback('a create with a 600-character TopicId', create({ TopicId: 't'.repeat(600) })),
  callback('a create with U+0000 in Name', create({ Name: 'a\u0000b' })),
  callback('a create with a 5,000-character Name', create({ Name: 'n'.repeat(5000) })),
  callback('a custom field without Value', create({ UserDefinedDataList: [{ Key: 'k' }] })),
  callback('a body that is an array', [1, 2]),
  callback('a destroy with a list', sampleTopicDestroyed),
  callback('a destroy with a string', { ...sampleTopicDestroyed, TopicIdList: 'one' }),
  callback('a destroy without GroupId', { CallbackCommand: 'Group.CallbackAfterTopicDestroyed', TopicIdList: ['x'] }),
  callback('a destroy with a number in TopicIdList', { ...sampleTopicDestroyed, TopicIdList: [1] }),
  callback('a topic profile change without TopicId', {
    CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
    GroupId: '@TGS#2J4SZEAEL',
    Name: 'renamed',
  }),
  callback('a topic profile change with Name 42', {
    CallbackCommand: 'Group.CallbackAfterTopicInfoChanged',
    GroupId: '@TGS#2J4SZEAEL',
    Name: 42,
  }),
  callback('a Community disbanded', {
    CallbackCommand: 'Group.CallbackAfterGroupDestroyed',
    GroupId: '@TGS#2J4SZEAEL',
    Type: 'Community',
  }),
  callback('a disband without Type', {
    CallbackCommand: 'Group.CallbackAfterGroupDestroyed',
    GroupId: '@TGS#2J4SZEAEL',
  }),
  callback('a "before" command', {
    CallbackCommand: 'Group.CallbackBeforeCreateTopic',
    Operator_Account: 'group_root',
    Type: 'Community',
    Name: 'x',
  }),
  callback('a group created, with its members', {
    CallbackCommand: 'Group.CallbackAfterCreateGroup',
    GroupId: 'g',
    MemberList: [{ Member_Account: 'a' }],
    EventTime: '1669872112000',
  }),
  // As IM sends it: no Content-Type at all. And as a careless proxy might: text/plain.
  callback('the sample with no Content-Type, as IM sends it', create(), {}),
  callback('the sample as text/plain', create(), { 'content-type': 'text/plain' }),
  callback('a create without TopicId, with no Content-Type', withoutTopicId, {}),
  // The read API.
  { name: 'topics', path: '/topics', headers: auth },
  { name: 'topics without the token', path: '/topics' },
  // (A wrong token is not in the battery: the contract says a bearer token is needed, not which one,
  // so no validator can judge it; the service's own tests do.)
  { name: 'topics, limit 5', path: '/topics?limit=5', headers: auth },
  { name: 'topics, limit 0', path: '/topics?limit=0', headers: auth },
  { name: 'topics, limit 501', path: '/topics?limit=501', headers: auth },
  { name: 'topics, limit ten', path: '/topics?limit=ten', headers: auth },
  { name: 'topics, limit 1e2', path: '/topics?limit=1e2', headers: auth },
  { name: 'topics, limit 05', path: '/topics?limit=05', headers: auth },
  { name: 'topics, limit +5', path: '/topics?limit=%2B5', headers: auth },
  { name: 'topics, a cursor', path: '/topics?cursor=1', headers: auth },
  { name: 'topics, a cursor that is not digits', path: '/topics?cursor=abc', headers: auth },
  { name: 'topics of a group', path: `/topics?GroupId=${encodeURIComponent('@TGS#2J4SZEAEL')}`, headers: auth },
  {
    name: 'topics by two IDs',
    path: `/topics?TopicId=${encodeURIComponent(sampleAfterCreateTopic.TopicId)}&TopicId=nope`,
    headers: auth,
  },
  { name: 'the sample topic', path: `/topics/${encodeURIComponent(sampleAfterCreateTopic.TopicId)}`, headers: auth },
  { name: 'a topic that does not exist', path: '/topics/nope', headers: auth },
  { name: 'changes', path: '/changes?after=0&limit=10', headers: auth },
  { name: 'changes after a non-position', path: '/changes?after=abc', headers: auth },
  { name: 'events', path: '/events', headers: auth },
  { name: 'rejected events', path: '/events?outcome=rejected', headers: auth },
  { name: 'events with an unknown outcome', path: '/events?outcome=bogus', headers: auth },
  { name: 'events of a command', path: '/events?command=Group.CallbackAfterCreateTopic', headers: auth },
  { name: 'liveness', path: '/healthz' },
  { name: 'readiness', path: '/readyz' },
  { name: 'metrics', path: '/metrics', headers: auth },
  { name: 'the contract as JSON', path: '/openapi.json' },
]

const scratch = mkdtempSync(join(tmpdir(), 'imsync-prism-'))
let service: RunningService
let prism: Awaited<ReturnType<typeof startTool>>
let prismUrl: string

describe('the real service behind Stoplight Prism’s validating proxy', () => {
  beforeAll(async () => {
    service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'prism.db')}` } })
    const port = await freePort()
    prism = await startTool(
      `${ROOT}node_modules/@stoplight/prism-cli/dist/index.js`,
      ['proxy', 'openapi.yaml', service.url, '--host', '127.0.0.1', '--port', String(port)],
      /Prism is listening/,
    )
    prismUrl = `http://127.0.0.1:${port}`
  }, 90_000)
  afterAll(async () => {
    await prism?.stop()
    await service?.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('sees no answer that violates the contract, and judges every request as the service does', async () => {
    const differences: string[] = []
    const excused = new Map<string, string[]>()
    for (const c of battery()) {
      const res = await fetch(prismUrl + c.path, {
        method: c.method ?? 'GET',
        headers: c.headers ?? {},
        // Bytes, so that fetch adds no Content-Type of its own (it would say text/plain for a string).
        ...(c.body === undefined ? {} : { body: new TextEncoder().encode(JSON.stringify(c.body)) }),
      })
      const text = await res.text()
      const header = res.headers.get('sl-violations')
      const violations: Violation[] = header ? JSON.parse(header) : []
      const onRequest = violations.filter((v) => v.location[0] === 'request')
      const onResponse = violations.filter((v) => v.location[0] === 'response')
      // The answer itself: always in the contract, whatever the request was.
      expect(
        onResponse,
        `${c.name}: the service's answer (${res.status} ${text.slice(0, 200)}) violates the contract`,
      ).toEqual([])
      // The request: refused by the service (400, or 401 for the read API's token) exactly when
      // Prism finds it invalid.
      const serviceRefused = res.status === 400 || (res.status === 401 && !c.path.startsWith('/callback'))
      const prismRefused = onRequest.length > 0
      if (serviceRefused === prismRefused) continue
      const quirk = QUIRKS.find((q) => q.touches(c) && q.explains(onRequest))
      if (quirk) excused.set(quirk.name, [...(excused.get(quirk.name) ?? []), c.name])
      else
        differences.push(
          `${c.name}: the service answered ${res.status} (${text.slice(0, 160)}); Prism found ${JSON.stringify(onRequest).slice(0, 300)}`,
        )
    }
    expect(differences).toEqual([])
    // The quirks excused exactly the requests they are about, and nothing else.
    expect(Object.fromEntries(excused)).toEqual({
      'Prism reads a body as JSON only when Content-Type says JSON': [
        'the sample with no Content-Type, as IM sends it',
        'the sample as text/plain',
      ],
      'Prism converts an integer query parameter with Number()': [
        'topics, limit 1e2',
        'topics, limit 05',
        'topics, limit +5',
      ],
    })
  })

  it('refuses, as the service does, a create without TopicId sent as IM sends it once Content-Type is JSON', async () => {
    // The union is checkable: the create schema needs TopicId and the catch-all excludes the known
    // commands, so no member matches. Before, OtherCallback let any body through.
    const res = await fetch(prismUrl + callbackPath('Group.CallbackAfterCreateTopic'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify(withoutTopicId),
    })
    expect(res.status).toBe(400)
    const violations: Violation[] = JSON.parse(res.headers.get('sl-violations') ?? '[]')
    expect(violations.some((v) => /required property 'TopicId'/.test(v.message))).toBe(true)
  })
})
