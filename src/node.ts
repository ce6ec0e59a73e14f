/**
 * The Node entry: `npm start`. Serves the app with @hono/node-server and stops gracefully on SIGTERM
 * and SIGINT: it stops accepting, finishes what is in flight, commits pending writes, and exits 0.
 * @module
 */
import { serve, type ServerType } from '@hono/node-server'
import type { Server } from 'node:http'
import { boot, listenError, logStartup, startupFailure } from './boot.ts'
import { describeError } from './log/index.ts'

async function main(): Promise<void> {
  const booted = await boot(process.env)
  const { app, config, store, log, reconciler, changeFeed } = booted
  const server = await new Promise<ServerType>((resolve, reject) => {
    const listening: ServerType = serve(
      {
        fetch: app.fetch,
        port: config.port,
        hostname: config.host,
        serverOptions: {
          maxHeaderSize: config.maxHeaderBytes,
          // A backstop behind the app's own BODY_TIMEOUT_MS: a request still not received whole after
          // this is cut off by Node itself.
          headersTimeout: 10_000,
          requestTimeout: 15_000,
        },
      },
      () => resolve(listening),
    )
    // A port in use or a privileged port: one line that says what to do, not an unhandled 'error'.
    listening.once('error', (error) => reject(listenError(error, config.host, config.port)))
  })
  server.on('error', (error) => log.error('server error', describeError(error)))
  // Past this many open connections, new ones are closed at once.
  server.maxConnections = config.maxConnections
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stopping', { signal })
    // Open change streams end now; their clients reconnect (to another replica) with their position.
    changeFeed.close()
    const http = server as Server
    // close() shuts the connections idle at this moment; a keep-alive connection that finishes its
    // callback afterwards is shut as soon as it is idle, rather than at its keep-alive timeout.
    const sweep = setInterval(() => http.closeIdleConnections(), 100)
    sweep.unref()
    // Connections still busy after 10 s are cut, so that a stuck client cannot hold the exit.
    const force = setTimeout(() => http.closeAllConnections(), 10_000)
    force.unref()
    server.close(async () => {
      await reconciler?.stop()
      await store.close()
      log.info('stopped', { signal })
      log.flush()
      process.exit(0)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  // The startup line is written once the signal listeners are in place, so that whoever waits for it
  // can stop the service at once.
  const { port } = server.address() as import('node:net').AddressInfo
  logStartup(booted, `node ${process.versions.node}`, port, { terminal: process.stdout.isTTY === true })
  reconciler?.start()
}

main().catch((error: unknown) => {
  console.error(startupFailure(error))
  process.exit(1)
})
