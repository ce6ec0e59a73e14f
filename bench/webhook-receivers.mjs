// The receivers of npm run bench:webhooks, in a process of their own, so that receiving deliveries
// does not slow the process that sends the callbacks and times their answers. Started with fork():
// told `{ delays: [ms, …] }`, it starts one receiver per delay (each answers 204 after its delay) and
// replies with their URLs; told `{ report: true }`, it replies with when each topic first arrived at
// each receiver, in ms since the epoch (performance.timeOrigin + now(), comparable across processes).
import { createServer } from 'node:http'

const receivers = []
const now = () => performance.timeOrigin + performance.now()

// Ends with the benchmark, even one that failed before asking for the report.
process.on('disconnect', () => process.exit(0))

process.on('message', async (message) => {
  if (message.delays) {
    for (const delayMs of message.delays) {
      const arrivals = {}
      const server = createServer((req, res) => {
        const chunks = []
        req.on('data', (c) => chunks.push(c))
        req.on('end', () => {
          const at = now()
          const id = JSON.parse(Buffer.concat(chunks).toString('utf8')).data.topic.TopicId
          arrivals[id] ??= at
          setTimeout(() => res.writeHead(204).end(), delayMs)
        })
      })
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
      receivers.push({ server, arrivals, url: `http://127.0.0.1:${server.address().port}/hook` })
    }
    process.send({ urls: receivers.map((r) => r.url) })
  }
  if (message.report) {
    for (const r of receivers) r.server.closeAllConnections()
    // Exit once the report is sent: exiting at once could drop it.
    process.send({ arrivals: receivers.map((r) => r.arrivals) }, () => process.exit(0))
  }
})
