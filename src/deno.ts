/**
 * The Deno entry: `deno task start` or `npm run start:deno`. Serves the same app with Deno.serve and
 * stops gracefully on SIGTERM and SIGINT.
 * @module
 */
import { boot, listenError, logStartup, startupFailure } from './boot.ts'
import { trackInFlight } from './http/track-in-flight.ts'

async function main(): Promise<void> {
  const booted = await boot(Deno.env.toObject())
  const { app, config, store, log, reconciler, changeFeed, pruner, keyRing, webhooks } = booted
  // Every request, POST /callback included, goes through the app: on Deno, answering callbacks
  // beside Hono saved nothing measurable (docs/benchmarks.md).
  const inFlight = trackInFlight((request: Request, info: Deno.ServeHandlerInfo) => app.fetch(request, info))
  // The startup line is written once the signal listeners are in place, so that whoever waits for it
  // can stop the service at once.
  let server: Deno.HttpServer<Deno.NetAddr>
  try {
    server = Deno.serve({ port: config.port, hostname: config.host, onListen: () => {} }, inFlight.fetch)
  } catch (error) {
    throw listenError(error, config.host, config.port)
  }
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stopping', { signal, inFlight: inFlight.count })
    // Open change streams end now; their clients reconnect (to another replica) with their position.
    changeFeed.close()
    // Deno 2.9's shutdown() breaks the body of every request in flight (denoland/deno#36809): let them
    // finish first. The app's own deadlines (BODY_TIMEOUT_MS, CALLBACK_DEADLINE_MS) bound the wait; the
    // 10 s cap, as on Node, only guards against a handler that never returns.
    if (!(await inFlight.idle(10_000))) log.warn('stopping with requests still in flight', { inFlight: inFlight.count })
    // Every request is answered by now; what shutdown() could still wait for is a stream's body that
    // Deno has buffered for a client that does not read. A quarter of a second is all it gets.
    const drained = await Promise.race([
      server.shutdown().then(() => true),
      new Promise<false>((resolve) => setTimeout(resolve, 250, false)),
    ])
    if (!drained) log.info('stopped without waiting for followers that do not read')
    await webhooks.stop()
    await reconciler?.stop()
    await pruner?.stop()
    await keyRing.stop()
    await store.close()
    log.info('stopped', { signal })
    log.flush()
    Deno.exit(0)
  }
  Deno.addSignalListener('SIGTERM', () => void stop('SIGTERM'))
  Deno.addSignalListener('SIGINT', () => void stop('SIGINT'))
  logStartup(booted, `deno ${Deno.version.deno}`, server.addr.port, { terminal: Deno.stdout.isTerminal() })
  reconciler?.start()
  pruner?.start()
  webhooks.start()
}

main().catch((error: unknown) => {
  console.error(startupFailure(error))
  Deno.exit(1)
})
