// The Deno service with every request, POST /callback included, going through Hono (Deno.serve with
// app.fetch): the other side of bench/entry-paths.mjs's pairing. Not an entry for users.
import { boot, logStartup } from '../src/boot.ts'

const booted = await boot(Deno.env.toObject())
const server = Deno.serve(
  { port: booted.config.port, hostname: booted.config.host, onListen: () => {} },
  booted.app.fetch,
)
logStartup(booted, `deno ${Deno.version.deno}`, server.addr.port)
Deno.addSignalListener('SIGTERM', async () => {
  await booted.store.close()
  booted.log.flush()
  Deno.exit(0)
})
