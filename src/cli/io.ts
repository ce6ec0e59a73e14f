/**
 * Where the CLI reads and writes; the real process's by default.
 *
 * @example
 * ```ts
 * const io: CliIo = { env: process.env, out: console.log, err: console.error }
 * ```
 */
export interface CliIo {
  env: Record<string, string | undefined>
  out(line: string): void
  err(line: string): void
  /** Starts the service on this runtime and never resolves: the service exits the process when it stops. */
  serve?(): Promise<never>
}
