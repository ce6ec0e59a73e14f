// Closed-loop load for the throughput benchmarks (run.mjs, postgres.mjs): autocannon on loopback, each
// request a signed callback whose body `next()` makes, with the TopicId it carries.
import autocannon from 'autocannon'

/**
 * Drives `port` for `seconds` on `connections` keep-alive connections, POSTing `path` with the body
 * of `next()` (`{ id, body }`); `onOk(id)` is told each acknowledged one. Resolves with autocannon's
 * result.
 * @param {number} port
 * @param {{ connections: number, seconds: number, path: string, next: () => { id: string, body: string }, onOk?: (id: string) => void }} options
 */
export function driveCallbacks(port, { connections, seconds, path, next, onOk }) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration: seconds,
        requests: [
          {
            method: 'POST',
            path,
            setupRequest(req, context) {
              const { id, body } = next()
              context.id = id
              req.body = body
              return req
            },
            onResponse(status, text, context) {
              if (onOk && status === 200 && text.includes('"ActionStatus":"OK"')) onOk(context.id)
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
}
