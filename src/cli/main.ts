#!/usr/bin/env node
/**
 * The `im-topic-sync` command: `serve`, `send`, `replay`, `migrate`, `reconcile`. Runs on Node (its
 * shebang) and on Deno (`deno run -A …/cli/main.js`).
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

/**
 * `serve`: the service's own entry for the runtime this runs on, beside this file (`.js` once built, `.ts`
 * when run from the sources). It listens until SIGTERM or SIGINT and then exits the process itself.
 */
async function serve(): Promise<never> {
  const runtime = 'Deno' in globalThis ? 'deno' : 'node'
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  await import(new URL(`../${runtime}${extension}`, import.meta.url).href)
  return new Promise<never>(() => {})
}

const io = { env: process.env, out: (l: string) => console.log(l), err: (l: string) => console.error(l), serve }
runCli(process.argv.slice(2), io).then(exitWhenWritten, (error: unknown) => {
  console.error(JSON.stringify({ level: 'error', msg: 'command failed', ...describeError(error) }))
  exitWhenWritten(1)
})
