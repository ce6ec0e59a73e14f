import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

/** One request the receiver got, verified (or not) with `standardwebhooks`, as receivers do. */
export interface Received {
  id: string
  timestamp: number
  signature: string
  body: string
  headers: IncomingHttpHeaders
  /** The event, when a given secret verified it; undefined when none did. */
  event:
    | {
        type: string
        timestamp: string
        data: { position: number; kind: string; topic: { TopicId: string; GroupId: string } }
      }
    | undefined
  /** Which of the secrets verified it (their indexes). */
  verifiedBy: number[]
  /** What the receiver answered. */
  status: number
  at: number
}

/** How the receiver answers one request: a status, after a delay. */
export type Behaviour = (
  request: Omit<Received, 'status' | 'at'>,
  count: number,
) => { status: number; delayMs?: number }

/**
 * A real HTTP receiver on 127.0.0.1 that verifies every delivery with the npm package
 * `standardwebhooks` against the secrets it is given, and answers as `behaviour` says (2xx by default).
 */
export interface Receiver {
  url: string
  received: Received[]
  /** The webhook-id of every request, as it arrived (before it was answered). */
  arrivals: string[]
  /** The secrets it verifies with; set after the subscription is made. */
  secrets: string[]
  behaviour: Behaviour
  /** The events acknowledged (2xx), in order of arrival. */
  acknowledged(): Received[]
  /** Resolves once `predicate` holds of what was received; rejects after `timeoutMs`. */
  waitFor(predicate: (received: Received[]) => boolean, timeoutMs?: number, what?: string): Promise<void>
  close(): Promise<void>
}

export async function startReceiver(behaviour: Behaviour = () => ({ status: 204 })): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    arrivals: [],
    secrets: [],
    behaviour,
    acknowledged: () => receiver.received.filter((r) => r.status >= 200 && r.status < 300),
    async waitFor(predicate, timeoutMs = 20_000, what = 'the deliveries') {
      const started = Date.now()
      while (!predicate(receiver.received)) {
        if (Date.now() - started > timeoutMs) {
          const seen = receiver.received.map((r) => `${r.id}:${r.status}`).join(', ')
          throw new Error(`${what} did not arrive within ${timeoutMs} ms; received: ${seen}`)
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  const server: Server = createServer((req, res) => {
    receiver.arrivals.push(String(req.headers['webhook-id']))
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const headers = req.headers
      const verifiedBy: number[] = []
      let event: Received['event']
      receiver.secrets.forEach((secret, i) => {
        try {
          event = new Webhook(secret).verify(body, headers as Record<string, string>) as Received['event']
          verifiedBy.push(i)
        } catch {}
      })
      const request = {
        id: String(headers['webhook-id']),
        timestamp: Number(headers['webhook-timestamp']),
        signature: String(headers['webhook-signature']),
        body,
        headers,
        event,
        verifiedBy,
      }
      const count = receiver.received.filter((r) => r.id === request.id).length
      const { status, delayMs = 0 } = receiver.behaviour(request, count)
      const answer = () => {
        receiver.received.push({ ...request, status, at: Date.now() })
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `refused ${status}`)
      }
      if (delayMs > 0) setTimeout(answer, delayMs)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`
  return receiver
}
