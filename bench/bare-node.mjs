// The bare node:http server the benchmark compares against: it reads the body, parses the JSON, and
// answers IM's OK body. Nothing else: no signature, no validation, no storage.
import { createServer } from 'node:http'

const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (c) => chunks.push(c))
  req.on('end', () => {
    JSON.parse(Buffer.concat(chunks).toString('utf8'))
    res.writeHead(200, { 'content-type': 'application/json' }).end(OK)
  })
})
server.listen(Number(process.env.PORT), '127.0.0.1', () =>
  console.log(JSON.stringify({ msg: 'listening', port: server.address().port })),
)
process.on('SIGTERM', () => server.close(() => process.exit(0)))
