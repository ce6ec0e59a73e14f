import { describe, expect, it } from 'vitest'
import { topicBody } from '../fixtures/index.ts'
import { API_TOKEN } from '../helpers/app.ts'
import { sendSigned, startService } from '../helpers/service.ts'

// The log is JSON lines, one object a line, on standard output and standard error alike, whatever
// the runtime prints of its own: a log shipper parses every line.

describe.each(['node', 'deno'] as const)('the log on %s', (runtime) => {
  it('is JSON lines only, through callbacks, reads, refusals, a stream its client leaves, and a stop', async () => {
    const service = await startService({ runtime, env: { LOG_LEVEL: 'debug' } })
    const auth = { authorization: `Bearer ${API_TOKEN}` }
    expect((await sendSigned(service.url, topicBody('json-log'))).status).toBe(200)
    await fetch(`${service.url}/topics`, { headers: auth }).then((r) => r.text())
    await fetch(`${service.url}/nowhere`).then((r) => r.text())
    await fetch(`${service.url}/callback?CallbackCommand=x`, { method: 'POST', body: 'not json' }).then((r) => r.text())
    const leaving = new AbortController()
    const stream = await fetch(`${service.url}/changes/stream`, { headers: auth, signal: leaving.signal })
    await stream.body!.getReader().read()
    leaving.abort()
    await new Promise((r) => setTimeout(r, 300))
    expect(await service.stop()).toBe(0)
    expect(service.logs.length).toBeGreaterThan(3)
    for (const line of service.logs) expect(() => JSON.parse(line), line).not.toThrow()
  })
})
