import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { findSecrets, LOG_SECRETS } from './helpers/log-secrets.ts'

// Every log line that the suites make (apps in process, and services in their own processes) is kept
// in one folder for the run; when the run ends, they are searched for tokens, Signs and bodies. A hit
// fails the run: this is the security review's "nothing secret in the logs of a full test run".
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'imsync-test-logs-'))
  project.provide('logDir', dir)
  return () => {
    const files = readdirSync(dir)
    let lines = 0
    const hits: string[] = []
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8')
      for (const line of text.split('\n')) {
        if (line === '') continue
        lines++
        const found = findSecrets(line)
        if (found.length > 0) hits.push(`${found.join(', ')} in: ${line.slice(0, 300)}`)
      }
    }
    rmSync(dir, { recursive: true, force: true })
    // vitest reports an error thrown here but still exits 0: set the exit code as well.
    const fail = (message: string) => {
      process.exitCode = 1
      throw new Error(message)
    }
    if (lines === 0) {
      console.log('No log lines were captured (a run of suites that log nothing): nothing to search.')
      return
    }
    if (hits.length > 0) fail(`Secrets in the logs of the test run:\n${hits.slice(0, 20).join('\n')}`)
    console.log(
      `Searched ${lines} log lines from ${files.length} files for ${LOG_SECRETS.length} secrets, Signs and bodies: none found.`,
    )
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    logDir: string
  }
}
