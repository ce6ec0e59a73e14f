import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { topicBody } from '../fixtures/index.ts'
import { type RunningService, sendSigned, startService } from '../helpers/service.ts'

// One client that opens connections and sends its headers slowly, or never, must not lock IM out
// (Node entry). The attacker connects from 127.0.0.2, IM's callbacks come from 127.0.0.1: Linux
// answers the whole of 127.0.0.0/8 on the loopback interface.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-flood-'))
let service: RunningService

describe('a flood of slow connections from one address (Node entry, default limits)', () => {
  beforeAll(async () => {
    service = await startService({ env: { DATABASE_URL: `file:${join(scratch, 'flood.db')}` } })
  })
  afterAll(async () => {
    await service?.stop()
    rmSync(scratch, { recursive: true, force: true })
  })

  it('answers a legitimate callback within 2 s while 1,100 slow connections are held and reopened against it', async () => {
    const { port } = new URL(service.url)
    const sockets = new Set<Socket>()
    let flooding = true
    let opened = 0
    let cut = 0
    const openSlow = () => {
      if (!flooding) return
      opened++
      const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: '127.0.0.2' }, () => {
        // A request head that never ends.
        socket.write('POST /callback HTTP/1.1\r\nHost: x\r\nX-Slow: ')
      })
      sockets.add(socket)
      // Reading, so that the end of a connection the service closes is seen.
      socket.resume()
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        cut++
        // As the attacker did: reopen every connection the service closes.
        setTimeout(openSlow, 5)
      })
    }
    for (let i = 0; i < 1100; i++) openSlow()
    await new Promise((r) => setTimeout(r, 1000))

    const answers: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const { status } = await sendSigned(service.url, topicBody(`flood-${i}`))
      expect(status).toBe(200)
      answers.push(performance.now() - started)
    }
    expect(Math.max(...answers)).toBeLessThan(2000)
    // The service cut the connections past the per-address cap as they came.
    expect(cut).toBeGreaterThan(900)

    flooding = false
    for (const socket of sockets) socket.destroy()
    expect(opened).toBeGreaterThan(1100)
  }, 30_000)

  it('cuts a connection whose headers do not arrive within 5 s, checked every 0.5 s rather than every 30 s', async () => {
    const { port } = new URL(service.url)
    const started = performance.now()
    const closedAfter = await new Promise<number>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port) }, () =>
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'),
      )
      socket.resume()
      socket.on('error', () => {})
      socket.on('close', () => resolve(performance.now() - started))
    })
    expect(closedAfter).toBeGreaterThan(4500)
    expect(closedAfter).toBeLessThan(7000)
  }, 15_000)
})
