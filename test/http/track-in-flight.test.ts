import { describe, expect, it } from 'vitest'
import { trackInFlight } from '../../src/http/track-in-flight.ts'

/** A handler whose answers the test releases one by one. */
function heldHandler() {
  const held: Array<() => void> = []
  const handle = (_request: Request, _info: unknown) =>
    new Promise<Response>((resolve) => held.push(() => resolve(new Response('ok'))))
  return { handle, release: () => held.shift()!() }
}

const request = () => new Request('http://127.0.0.1/healthz')

describe('trackInFlight', () => {
  it('is idle at once when nothing is in flight', async () => {
    const tracked = trackInFlight(() => new Response('ok'))
    expect(tracked.count).toBe(0)
    expect(await tracked.idle(1000)).toBe(true)
  })

  it('counts the requests being handled and passes each one through with its info', async () => {
    const seen: unknown[] = []
    const tracked = trackInFlight((req: Request, info: { remote: string }) => {
      seen.push([req.url, info.remote])
      return new Response('answer')
    })
    const res = await tracked.fetch(request(), { remote: '127.0.0.1' })
    expect(await res.text()).toBe('answer')
    expect(seen).toEqual([['http://127.0.0.1/healthz', '127.0.0.1']])
    expect(tracked.count).toBe(0)
  })

  it('becomes idle only once the last request in flight is answered', async () => {
    const { handle, release } = heldHandler()
    const tracked = trackInFlight(handle)
    const answers = [tracked.fetch(request(), {}), tracked.fetch(request(), {})]
    expect(tracked.count).toBe(2)
    let idle: boolean | undefined
    const waiting = tracked.idle(5000).then((result) => (idle = result))
    release()
    await answers[0]
    expect(tracked.count).toBe(1)
    expect(idle).toBeUndefined()
    release()
    await answers[1]
    expect(await waiting).toBe(true)
    expect(tracked.count).toBe(0)
  })

  it('gives up waiting after the timeout and says so', async () => {
    const { handle, release } = heldHandler()
    const tracked = trackInFlight(handle)
    const answer = tracked.fetch(request(), {})
    expect(await tracked.idle(20)).toBe(false)
    expect(tracked.count).toBe(1)
    release()
    await answer
    expect(tracked.count).toBe(0)
  })

  it('counts a request whose handler throws as finished', async () => {
    const tracked = trackInFlight(async () => {
      throw new Error('boom')
    })
    await expect(tracked.fetch(request(), {})).rejects.toThrow('boom')
    expect(tracked.count).toBe(0)
    expect(await tracked.idle(1000)).toBe(true)
  })
})
