/**
 * The Node entry: `npm start`. Serves the app with @hono/node-server and stops gracefully on SIGTERM
 * and SIGINT: it stops accepting, finishes what is in flight, commits pending writes, and exits 0.
 * @module
 */
import { serve } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { boot, logStartup } from './boot.ts'
import { ConfigError } from './config/index.ts'
import { describeError } from './log/index.ts'

async function main(): Promise<void> {
  const booted = await boot(process.env)
  const { app, config, store, log } = booted
  const server = serve(
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
    (info: AddressInfo) => logStartup(booted, `node ${process.versions.node}`, info.port),
  )
  // Past this many open connections, new ones are closed at once.
  ;(server as import('node:net').Server).maxConnections = config.maxConnections
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stopping', { signal })
    const http = server as import('node:http').Server
    // close() shuts the connections idle at this moment; a keep-alive connection that finishes its
    // callback afterwards is shut as soon as it is idle, rather than at its keep-alive timeout.
    const sweep = setInterval(() => http.closeIdleConnections(), 100)
    sweep.unref()
    // Connections still busy after 10 s are cut, so that a stuck client cannot hold the exit.
    const force = setTimeout(() => http.closeAllConnections(), 10_000)
    force.unref()
    server.close(async () => {
      await store.close()
      log.info('stopped', { signal })
      log.flush()
      process.exit(0)
    })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message)
  else console.error(JSON.stringify({ level: 'error', msg: 'startup failed', ...describeError(error) }))
  process.exit(1)
})
