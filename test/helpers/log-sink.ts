import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { inject } from 'vitest'

/** Keeps a log line for the run's final search (see test/global-setup.ts). */
export function keepLogLine(line: string): void {
  appendFileSync(join(inject('logDir'), `${process.pid}.log`), `${line}\n`)
}
