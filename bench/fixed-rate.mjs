// An open-loop load generator for the fixed-rate run: requests are scheduled at exact times (rate per
// second), sent on keep-alive connections, and each latency is measured from the time the request was
// due, so a stalled server cannot hide its stall (no coordinated omission). autocannon's rate limiter
// sends in bursts and reports tens of ms of p99 even for a bare server at 5% load, which is why this
// exists. Loopback only.
import { Agent, request } from 'node:http'

/**
 * @param {{ port: number, rate: number, seconds: number, path: string, body: (i: number) => string, onOk?: (i: number) => void }} o
 */
export function fixedRate({ port, rate, seconds, path, body, onOk }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  const latencies = []
  let errors = 0
  let non2xx = 0
  let sent = 0
  const total = Math.round(rate * seconds)
  const start = performance.now()
  return new Promise((resolve) => {
    let inFlight = 0
    const finish = () => {
      if (sent === total && inFlight === 0) {
        agent.destroy()
        latencies.sort((a, b) => a - b)
        const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
        resolve({
          rps: latencies.length / seconds,
          p50: at(0.5),
          p90: at(0.9),
          p99: at(0.99),
          max: latencies.at(-1),
          errors,
          non2xx,
        })
      }
    }
    const fire = (i) => {
      const due = start + (i * 1000) / rate
      inFlight++
      const data = body(i)
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: { 'content-length': Buffer.byteLength(data) },
        },
        (res) => {
          let text = ''
          res
            .setEncoding('utf8')
            .on('data', (c) => (text += c))
            .on('end', () => {
              latencies.push(performance.now() - due)
              if (res.statusCode === 200 && text.includes('"ActionStatus":"OK"')) onOk?.(i)
              else non2xx++
              inFlight--
              finish()
            })
        },
      )
      req.on('error', () => {
        errors++
        inFlight--
        finish()
      })
      req.end(data)
    }
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
      while (sent < due) fire(sent++)
      if (sent < total) setTimeout(tick, 1)
    }
    tick()
  })
}
