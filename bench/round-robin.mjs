// A round-robin TCP balancer on loopback, for the PostgreSQL benchmark: each new connection goes to the
// next replica's port, and its bytes are piped both ways. Run by bench/postgres.mjs in a process of its
// own, so that its CPU is counted apart: node bench/round-robin.mjs <listen port> <replica port>...
import { connect, createServer } from 'node:net'

const [listenPort, ...replicaPorts] = process.argv.slice(2).map(Number)
let next = 0
createServer((client) => {
  const port = replicaPorts[next++ % replicaPorts.length]
  const upstream = connect({ host: '127.0.0.1', port })
  client.setNoDelay(true)
  upstream.setNoDelay(true)
  client.pipe(upstream).pipe(client)
  client.on('error', () => upstream.destroy())
  upstream.on('error', () => client.destroy())
}).listen(listenPort, '127.0.0.1', () => console.log('"listening"'))
