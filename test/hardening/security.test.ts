import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/log/index.ts'
import { constantTimeEqual } from '../../src/verify/index.ts'
import { sampleAfterCreateTopic } from '../fixtures/index.ts'
import { API_TOKEN, bearer, callbackUrl, makeApp, PREVIOUS_TOKEN, post, TOKEN } from '../helpers/app.ts'
import { findSecrets } from '../helpers/log-secrets.ts'

describe('the logs', () => {
  it('carry no token, Sign or body, even at debug level, whatever happens to a callback', async () => {
    const t = await makeApp({ IM_CALLBACK_TOKEN_PREVIOUS: PREVIOUS_TOKEN }, { level: 'debug' })
    await post(t.app, callbackUrl(), sampleAfterCreateTopic) // stored
    await post(t.app, callbackUrl(), sampleAfterCreateTopic) // duplicate
    await post(t.app, callbackUrl({ token: PREVIOUS_TOKEN }), { ...sampleAfterCreateTopic, TopicId: 'x' })
    await post(t.app, callbackUrl({ token: 'wrong' }), sampleAfterCreateTopic) // Sign refused
    await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, Name: 42 }) // invalid body
    await post(t.app, callbackUrl(), JSON.stringify(sampleAfterCreateTopic).slice(0, 60)) // broken JSON
    await t.app.request('/topics', { headers: { authorization: `Bearer ${API_TOKEN}x` } })
    await t.app.request('/topics?limit=0', { headers: bearer })
    await t.store.close()
    await post(t.app, callbackUrl(), { ...sampleAfterCreateTopic, TopicId: 'y' }) // store closed: 503
    expect(t.logs.length).toBeGreaterThan(8)
    expect(t.logs.filter((line) => findSecrets(line).length > 0)).toEqual([])
  })

  it('are searched by the same rule that finds a leak when there is one', () => {
    expect(findSecrets(JSON.stringify({ msg: 'x', token: TOKEN }))).toContain(TOKEN)
    expect(findSecrets(JSON.stringify({ sign: createHash('sha256').update('t1').digest('hex') }))).toContain('a Sign')
    expect(findSecrets(JSON.stringify({ body: JSON.stringify(sampleAfterCreateTopic) }))).toContain('MyFirstTopic')
  })
})

describe('the bearer token check', () => {
  it('compares in constant time: where a wrong token differs does not change how long it takes', () => {
    const expected = 'k'.repeat(4 * 1024 * 1024)
    const early = `x${expected.slice(1)}`
    const late = `${expected.slice(0, -1)}x`
    const median = (presented: string) => {
      const times: number[] = []
      for (let i = 0; i < 9; i++) {
        const started = performance.now()
        constantTimeEqual(presented, expected)
        times.push(performance.now() - started)
      }
      return times.sort((a, b) => a - b)[4]!
    }
    median(early)
    median(late)
    // A plain === returns at the first differing character: 'early' would be hundreds of times faster.
    const ratio = median(late) / median(early)
    expect(ratio).toBeGreaterThan(0.5)
    expect(ratio).toBeLessThan(2)
    expect(constantTimeEqual(expected, expected)).toBe(true)
    expect(constantTimeEqual(early, expected)).toBe(false)
    expect(constantTimeEqual('short', expected)).toBe(false)
  })

  it('is what the read API uses for its token', async () => {
    vi.resetModules()
    const compare = vi.fn(() => false)
    vi.doMock('../../src/verify/constant-time-equal.ts', () => ({ constantTimeEqual: compare }))
    const { createKeyRing } = await import('../../src/auth/key-ring.ts')
    const ring = createKeyRing({
      store: { listApiKeys: async () => [], touchApiKeys: async () => {} } as never,
      apiToken: 'configured',
      log: createLogger({ level: 'silent' }),
    })
    await expect(ring.authenticate('Bearer presented')).rejects.toMatchObject({ kind: 'API_TOKEN_INVALID' })
    expect(compare).toHaveBeenCalledWith('presented', 'configured')
    vi.doUnmock('../../src/verify/constant-time-equal.ts')
  })
})

describe('the docs page', () => {
  it('is sent with a Content-Security-Policy that allows only its own bundle and its own inline script', async () => {
    const t = await makeApp()
    const res = await t.app.request('/docs')
    const policy = res.headers.get('content-security-policy')!
    const html = await res.text()
    const directives = Object.fromEntries(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]))
    expect(directives['default-src']).toEqual(["'none'"])
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
      ([, body]) => `'sha256-${createHash('sha256').update(body!).digest('base64')}'`,
    )
    expect(inline).toHaveLength(1)
    expect(directives['script-src']).toEqual(["'self'", ...inline])
    expect(directives['connect-src']).toEqual(["'self'"])
    expect(html).toContain('<script src="docs/api-reference.js">')
    expect(html).not.toMatch(/https?:\/\//)
    await t.store.close()
  })
})

describe('dependencies', () => {
  it('keep the API reference bundle out of production: it ships in dist/assets', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>
      devDependencies: Record<string, string>
    }
    expect(pkg.dependencies).not.toHaveProperty('@scalar/api-reference')
    expect(pkg.devDependencies).toHaveProperty('@scalar/api-reference')
    // Run from source, the bundle comes from node_modules; built, from dist/assets (the browser test).
    const t = await makeApp()
    const res = await t.app.request('/docs/api-reference.js')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/)
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000)
    await t.store.close()
  })
})
