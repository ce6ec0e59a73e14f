/**
 * The Node entry: `npm start`. Serves the app with @hono/node-server (and `POST /callback` straight from
 * node:http) and stops gracefully on SIGTERM
 * and SIGINT: it stops accepting, finishes what is in flight, commits pending writes, and exits 0.
 * @module
 */

import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { getRequestListener } from '@hono/node-server'
import { boot, listenError, logStartup, startupFailure } from './boot.ts'
import { clientErrorAnswer } from './http/client-error.ts'
import { limitConnectionsPerAddress } from './http/limit-connections.ts'
import { answerCallbacksOnNode } from './http/node-callbacks.ts'
import { describeError } from './log/index.ts'

/**
 * The change streams' responses, so that stopping can end them at once, whether their clients read or
 * not (a client that does not read would otherwise hold the exit until the 10 s cut-off). Noted on the
 * app's side of the listener, so that POST /callback, answered before it, pays nothing for it.
 */
function noteStreams(streams: Set<ServerResponse>, listener: RequestListener): RequestListener {
  return function noteStream(req: IncomingMessage, res: ServerResponse) {
    if (req.method === 'GET' && req.url?.startsWith('/changes/stream')) {
      streams.add(res)
      res.once('close', () => streams.delete(res))
    }
    return listener(req, res)
  }
}

async function main(): Promise<void> {
  const booted = await boot(process.env)
  const { app, callbacks, config, store, log, reconciler, changeFeed, pruner, keyRing, webhooks } = booted
  const streams = new Set<ServerResponse>()
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = createServer(
      {
        maxHeaderSize: config.maxHeaderBytes,
        // A backstop behind the app's own BODY_TIMEOUT_MS: a request still not received whole after
        // this is cut off by Node itself. IM sends its headers at once.
        headersTimeout: 5_000,
        requestTimeout: 15_000,
        // Node checks those two timeouts only this often (30 s by default): a slow-header client
        // would hold its connection six times longer than headersTimeout says.
        connectionsCheckingInterval: 500,
        keepAliveTimeout: 5_000,
      },
      // POST /callback is answered from Node's request straight by the app's callback path; the rest
      // goes through @hono/node-server to the app.
      answerCallbacksOnNode(callbacks, noteStreams(streams, getRequestListener(app.fetch, { hostname: config.host }))),
    )
    // A port in use or a privileged port: one line that says what to do, not an unhandled 'error'.
    listening.once('error', (error) => reject(listenError(error, config.host, config.port)))
    listening.listen(config.port, config.host, () => resolve(listening))
  })
  server.on('error', (error) => log.error('server error', describeError(error)))
  // What the HTTP parser refuses before any route (431, 408, 400) is answered in the contract's shape.
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    log.debug('client error', { code: error.code ?? 'unknown' })
    const answer = clientErrorAnswer(error, config.maxHeaderBytes)
    // As Node's own handler does: answer only if no answer has started on this socket, else the
    // client would read a corrupt one.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
    if (answer !== null && socket.writable && !inFlight?.headersSent) socket.end(answer, () => socket.destroy())
    else socket.destroy()
  })
  // Past this many open connections, new ones are closed at once; and one client address may hold
  // only so many of them, so that it cannot lock the others out.
  server.maxConnections = config.maxConnections
  limitConnectionsPerAddress(server, config.maxConnectionsPerAddress)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('stopping', { signal })
    // Open change streams end now; their clients reconnect (to another replica) with their position. A
    // follower that does not read (its last write still waits for it) is cut at once; the others end
    // cleanly when the feed closes, and whatever is left a quarter of a second later is cut too.
    for (const res of streams) if (res.writableNeedDrain) res.destroy()
    setImmediate(() => {
      changeFeed.close()
      setTimeout(() => {
        for (const res of streams) res.destroy()
      }, 250).unref()
    })
    // close() shuts the connections idle at this moment; a keep-alive connection that finishes its
    // callback afterwards is shut as soon as it is idle, rather than at its keep-alive timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), 100)
    sweep.unref()
    // Connections still busy after 10 s are cut, so that a stuck client cannot hold the exit.
    const force = setTimeout(() => server.closeAllConnections(), 10_000)
    force.unref()
    server.close(async () => {
      await webhooks.stop()
      await reconciler?.stop()
      await pruner?.stop()
      await keyRing.stop()
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
  pruner?.start()
  webhooks.start()
}

main().catch((error: unknown) => {
  console.error(startupFailure(error))
  process.exit(1)
})
