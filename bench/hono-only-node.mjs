// The Node service with every request, POST /callback included, going through Hono
// (@hono/node-server), as on Deno and in library mode: the other side of bench/entry-paths.mjs's
// pairing. Not an entry for users.
import { createServer } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { boot, logStartup } from '../dist/src/boot.js'

const booted = await boot(process.env)
const server = createServer(getRequestListener(booted.app.fetch))
server.listen(booted.config.port, booted.config.host, () =>
  logStartup(booted, `node ${process.versions.node}`, server.address().port),
)
process.on('SIGTERM', async () => {
  server.close()
  await booted.store.close()
  booted.log.flush()
  process.exit(0)
})
