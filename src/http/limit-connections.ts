import type { Server } from 'node:net'

/**
 * Caps the connections one client address may hold open on `server` at `perAddress`: a connection
 * past the cap is destroyed as soon as it is accepted, so that one client (slow headers, idle
 * keep-alives, a reconnect loop) cannot fill `server.maxConnections` and lock everyone else out.
 * Returns the number of connections each address holds, for tests.
 *
 * @example
 * ```ts
 * limitConnectionsPerAddress(server, 128)
 * ```
 */
export function limitConnectionsPerAddress(server: Server, perAddress: number): ReadonlyMap<string, number> {
  const open = new Map<string, number>()
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? ''
    const held = open.get(address) ?? 0
    if (held >= perAddress) {
      socket.destroy()
      return
    }
    open.set(address, held + 1)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left === 0) open.delete(address)
      else open.set(address, left)
    })
  })
  return open
}
