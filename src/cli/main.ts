#!/usr/bin/env node
/**
 * The `im-topic-sync` command: `send`, `replay`, `migrate`, `reconcile`.
 * @module
 */
import { describeError } from '../log/index.ts'
import { runCli } from './run-cli.ts'

/**
 * Exits once standard output and standard error have taken everything written to them: to a pipe,
 * they are written asynchronously, and exiting at once would cut a long `--json` report short.
 */
function exitWhenWritten(code: number): void {
  let waiting = 2
  const done = () => {
    if (--waiting === 0) process.exit(code)
  }
  process.stdout.write('', done)
  process.stderr.write('', done)
}

runCli(process.argv.slice(2), { env: process.env, out: (l) => console.log(l), err: (l) => console.error(l) }).then(
  exitWhenWritten,
  (error: unknown) => {
    console.error(JSON.stringify({ level: 'error', msg: 'command failed', ...describeError(error) }))
    exitWhenWritten(1)
  },
)
