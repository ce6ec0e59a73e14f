import { Worker } from 'node:worker_threads'
import type { EventOutcome } from '../contract/read-api.ts'
import type { Write } from './write-batch.ts'

/** What the store sends its writer thread. */
export type WriterRequest = { kind: 'write'; id: number; items: Write[] } | { kind: 'close' }

/** What the writer thread answers, once the batch has committed or failed. */
export type WriterReply =
  | { closed: true }
  | { id: number; outcomes: EventOutcome[]; last: number | null; retries: number; error?: undefined }
  | { id: number; error: { name: string; message: string; code: string | undefined }; retries: number }

/** A batch committed by the writer thread. */
export interface Committed {
  outcomes: EventOutcome[]
  /** The last change position it took, or null when it changed no topic. */
  last: number | null
  /** How many times it was run again after losing a conflict. */
  retries: number
}

/** The SQLite writer thread, seen from the store. */
export interface SqliteWriter {
  /** Commits a batch in one transaction; resolves after the commit, rejects with the database's error. */
  commit(items: Write[]): Promise<Committed>
  /** Waits for the batches in flight, then stops the thread. */
  close(): Promise<void>
}

/**
 * Where the writer thread's script is: next to this module, as JavaScript when built, or as
 * TypeScript on Deno, which runs the sources. Undefined when it cannot run here (the TypeScript
 * sources on Node, as in the test runner): the store then writes on the main thread.
 */
export function writerScript(): URL | undefined {
  const own = import.meta.url
  if (!own.endsWith('.ts')) return new URL('./sqlite-worker.js', own)
  return 'Deno' in globalThis ? new URL('./sqlite-worker.ts', own) : undefined
}

/**
 * Starts the thread that commits callbacks to the SQLite file at `path` (see `sqlite-worker.ts`).
 * A thread that dies is started again for the next batch; the batches it held fail, and were not
 * acknowledged.
 *
 * @example
 * ```ts
 * const writer = startSqliteWriter('./data/callbacks.db', writerScript()!)
 * const { outcomes } = await writer.commit(items)
 * ```
 */
export function startSqliteWriter(path: string, script: URL): SqliteWriter {
  const pending = new Map<number, { resolve(value: Committed): void; reject(error: unknown): void }>()
  let worker: Worker | undefined
  let nextId = 0

  const failAll = (error: unknown) => {
    for (const { reject } of pending.values()) reject(error)
    pending.clear()
    worker = undefined
  }

  function started(): Worker {
    if (worker) return worker
    const thread = new Worker(script, { workerData: { path } })
    thread.on('message', (reply: WriterReply) => {
      if ('closed' in reply) return
      const waiting = pending.get(reply.id)
      pending.delete(reply.id)
      // The thread does not keep the process alive while it has nothing to do.
      if (pending.size === 0) thread.unref()
      if (!waiting) return
      if (reply.error === undefined)
        waiting.resolve({ outcomes: reply.outcomes, last: reply.last, retries: reply.retries })
      else
        waiting.reject(
          Object.assign(new Error(reply.error.message), {
            name: reply.error.name,
            code: reply.error.code,
            retries: reply.retries,
          }),
        )
    })
    thread.on('error', (error) =>
      failAll(new Error(`the SQLite writer thread failed: ${error.message}`, { cause: error })),
    )
    thread.on('exit', (code) => {
      if (worker === thread) failAll(new Error(`the SQLite writer thread exited (${code})`))
    })
    thread.unref()
    worker = thread
    return thread
  }

  return {
    commit(items) {
      const thread = started()
      const id = ++nextId
      return new Promise<Committed>((resolve, reject) => {
        if (pending.size === 0) thread.ref()
        pending.set(id, { resolve, reject })
        thread.postMessage({ kind: 'write', id, items } satisfies WriterRequest)
      })
    },
    async close() {
      const thread = worker
      if (!thread) return
      worker = undefined
      // The thread closes its connection, says so, and is stopped; after 5 s it is stopped anyway.
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5000)
        thread.on('message', (reply: WriterReply) => {
          if ('closed' in reply) resolve(clearTimeout(timer))
        })
      })
      thread.ref()
      thread.postMessage({ kind: 'close' } satisfies WriterRequest)
      await closed
      await thread.terminate()
    },
  }
}
