import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { postgresAvailable } from '../helpers/postgres.ts'
import { DENO, freePort, ROOT, runToExit } from '../helpers/service.ts'

// A service that cannot open its database says why in one line, naming what to check, and exits 1:
// never a stack, never a password.

const scratch = mkdtempSync(join(tmpdir(), 'imsync-startup-'))
chmodSync(scratch, 0o755)
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const PASSWORD = 'hunter2-not-shown'

/**
 * As root, permissions do not stop a process: the permission case runs the service as `nobody`, when
 * `nobody` can read the checkout (else it says so and skips). As anyone else, it runs as that user.
 */
const asRoot = process.getuid?.() === 0
const dropToNobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', 'env', 'HOME=/tmp']
const nobodyCanRun = (() => {
  if (!asRoot) return true
  try {
    execFileSync(dropToNobody[0]!, [...dropToNobody.slice(1), 'test', '-r', join(ROOT, 'dist', 'src', 'node.js')])
    return true
  } catch {
    console.warn('SKIPPED: the permission case needs `nobody` to read the checkout, and it cannot here')
    return false
  }
})()

function command(runtime: 'node' | 'deno', asNobody = false): [string, string[]] {
  const entry: string[] =
    runtime === 'node'
      ? [process.execPath, join(ROOT, 'dist/src/node.js')]
      : [DENO, 'run', '-A', join(ROOT, 'dist/src/deno.js')]
  const all = asNobody && asRoot ? [...dropToNobody, ...entry] : entry
  return [all[0]!, all.slice(1)]
}

/** The one line the service printed before it exited 1 (the last, after a configuration error's heading). */
async function failsWith(runtime: 'node' | 'deno', databaseUrl: string, asNobody = false): Promise<string> {
  const { code, output } = await runToExit({
    command: command(runtime, asNobody),
    env: { IM_SDKAPPID: '1400000000', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: databaseUrl },
  })
  expect(code).toBe(1)
  const lines = output.trim().split('\n')
  if (lines[0] === 'The configuration is invalid:') lines.shift()
  expect(lines, output).toHaveLength(1)
  expect(output).not.toContain(PASSWORD)
  return lines[0]!
}

describe.each(['node', 'deno'] as const)(
  'on %s, a database that cannot be opened stops startup in one line',
  (runtime) => {
    it('names the host and port of a PostgreSQL that refuses connections, and what to check', async () => {
      const port = await freePort()
      expect(await failsWith(runtime, `postgres://imsync:${PASSWORD}@127.0.0.1:${port}/imsync`)).toBe(
        `Cannot open PostgreSQL at 127.0.0.1:${port}: the connection was refused (ECONNREFUSED); check that the server is running and listens there, and that DATABASE_URL names its host and port`,
      )
    })

    it.skipIf(!postgresAvailable)(
      'says which database or role is missing (skipped only without a server)',
      async () => {
        expect(await failsWith(runtime, 'postgres://postgres@127.0.0.1:5432/imsync_never_created')).toBe(
          'Cannot open PostgreSQL at 127.0.0.1:5432: database "imsync_never_created" does not exist (3D000); create the database (createdb, or CREATE DATABASE) or fix its name in DATABASE_URL',
        )
        expect(await failsWith(runtime, `postgres://imsync_no_role:${PASSWORD}@127.0.0.1:5432/postgres`)).toBe(
          'Cannot open PostgreSQL at 127.0.0.1:5432: role "imsync_no_role" does not exist (28000); create the role (CREATE ROLE … LOGIN) or fix the user in DATABASE_URL',
        )
      },
    )

    it('refuses a password with an unencoded "/", "#" or "?", saying to percent-encode it', async () => {
      for (const reserved of ['/', '#', '?']) {
        const line = await failsWith(runtime, `postgres://imsync:${PASSWORD}${reserved}x@db.internal:5432/imsync`)
        expect(line).toContain(`- DATABASE_URL's password holds a "${reserved}" that is not percent-encoded`)
        expect(line).toContain("'/' is %2F, '#' is %23, '?' is %3F")
      }
    })

    it('names the file that stands where the data folder should be', async () => {
      const file = join(scratch, `${runtime}-a-file`)
      writeFileSync(file, 'not a folder')
      expect(await failsWith(runtime, `file:${file}/callbacks.db`)).toBe(
        `Cannot open the SQLite database ${file}/callbacks.db: ${file} is not a folder; set DATABASE_URL to a path in a folder (EEXIST)`,
      )
    })

    it.skipIf(!nobodyCanRun)('names the data folder it may not write, its owner and the user it runs as', async () => {
      const folder = join(scratch, `${runtime}-locked`)
      mkdirSync(folder, { mode: 0o700 })
      if (!asRoot) chmodSync(folder, 0o500)
      const user = asRoot ? 'nobody (uid 65534)' : `${process.env.USER ?? ''}`
      const line = await failsWith(runtime, `file:${folder}/data/callbacks.db`, true)
      expect(line).toMatch(
        new RegExp(
          `^Cannot open the SQLite database ${folder}/data/callbacks.db: permission denied: ${folder} belongs to \\S+ \\(uid \\d+\\) with mode [57]00, and the service runs as .+; give the folder to that user \\(chown\\) or set DATABASE_URL to a path it can write \\(EACCES\\)$`,
        ),
      )
      if (asRoot) expect(line).toContain(`belongs to root (uid 0) with mode 700, and the service runs as ${user}`)
    })
  },
)
