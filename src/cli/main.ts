#!/usr/bin/env node
/**
 * The `im-topic-sync` command: `send`, `replay`, `migrate`.
 * @module
 */
import { describeError } from '../log/index.ts'
import { runCli } from './run-cli.ts'

runCli(process.argv.slice(2), { env: process.env, out: (l) => console.log(l), err: (l) => console.error(l) }).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(JSON.stringify({ level: 'error', msg: 'command failed', ...describeError(error) }))
    process.exit(1)
  },
)
