import { readFileSync, type Stats, statSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname, resolve } from 'node:path'

/**
 * Thrown when the database cannot be opened for a reason outside the configuration's syntax: a server
 * that does not answer, a missing database or role, a data folder the service may not write. Its
 * message is one line that names what failed and what to check, and never holds a password.
 *
 * @example
 * ```ts
 * try { await openStore(url) } catch (error) { if (error instanceof StoreOpenError) console.error(error.message) }
 * ```
 */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError'
}

type ErrorFields = { code?: unknown; message?: unknown; path?: unknown; errors?: unknown }

/** The error's code, or the first code among the errors of an AggregateError (a host with two addresses). */
function codeOf(error: unknown): string {
  const { code, errors } = (error ?? {}) as ErrorFields
  if (typeof code === 'string' && code !== '') return code
  if (Array.isArray(errors)) for (const inner of errors) if (codeOf(inner) !== '') return codeOf(inner)
  return ''
}

/** `host:port` of a PostgreSQL URL, without its user or password. */
function serverOf(url: string): string {
  try {
    const { hostname, port } = new URL(url)
    return `${hostname || 'localhost'}:${port || '5432'}`
  } catch {
    return 'the server'
  }
}

/**
 * The {@link StoreOpenError} that explains a failure to open PostgreSQL at `url`, or `error` itself when
 * it is none of the failures a person can fix from the outside.
 *
 * @example
 * ```ts
 * throw postgresOpenFailure(error, 'postgres://imsync@db:5432/imsync')
 * ```
 */
export function postgresOpenFailure(error: unknown, url: string): unknown {
  const code = codeOf(error)
  const server = serverOf(url)
  const said = String((error as ErrorFields | undefined)?.message ?? '')
  const fail = (why: string, what: string) =>
    new StoreOpenError(`Cannot open PostgreSQL at ${server}: ${why} (${code || 'error'}); ${what}`, { cause: error })
  switch (code) {
    case 'ECONNREFUSED':
      return fail(
        'the connection was refused',
        'check that the server is running and listens there, and that DATABASE_URL names its host and port',
      )
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fail('the host name is not known', 'check the host in DATABASE_URL')
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail('no answer from the server', 'check the host, the port and any firewall between them')
    case '3D000':
      return fail(said, 'create the database (createdb, or CREATE DATABASE) or fix its name in DATABASE_URL')
    case '28000':
      return fail(said, 'create the role (CREATE ROLE … LOGIN) or fix the user in DATABASE_URL')
    case '28P01':
      return fail(said, 'check the password in DATABASE_URL (percent-encoded)')
    case '42501':
      return fail(said, "the role needs the right to create tables in the database's public schema")
  }
  if (/connection timeout|timeout expired/i.test(said))
    return fail('no answer within 5 s', 'check the host, the port and any firewall between them')
  return error
}

/** The name of a uid, from /etc/passwd, or `uid N` when it cannot be read. */
function userName(uid: number): string {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid))
    if (line !== undefined) return `${line.split(':')[0]} (uid ${uid})`
  } catch {}
  return `uid ${uid}`
}

/** The path itself or its nearest ancestor that exists. */
function nearestExisting(path: string): { path: string; stat: Stats } | undefined {
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      return { path: at, stat: statSync(at) }
    } catch {}
    if (dirname(at) === at) return undefined
  }
}

/**
 * The {@link StoreOpenError} that explains a failure to open the SQLite database at `path`: a folder it
 * may not write (naming the folder, its owner and this process's user), a path under something that is
 * not a folder, a file that is not a database. Any other error is returned as it is.
 *
 * @example
 * ```ts
 * throw sqliteOpenFailure(error, './data/callbacks.db')
 * ```
 */
export function sqliteOpenFailure(error: unknown, path: string): unknown {
  const code = codeOf(error)
  const fail = (why: string) =>
    new StoreOpenError(`Cannot open the SQLite database ${resolve(path)}: ${why} (${code})`, { cause: error })
  if (code === 'EACCES' || code === 'EPERM') {
    const denied = (error as ErrorFields).path
    const found = nearestExisting(typeof denied === 'string' ? dirname(denied) : dirname(path))
    const self = userInfo()
    const owner = found
      ? `${found.path} belongs to ${userName(Number(found.stat.uid))} with mode ${(Number(found.stat.mode) & 0o777).toString(8)}`
      : 'its folder cannot be read'
    return fail(
      `permission denied: ${owner}, and the service runs as ${userName(self.uid)}; give the folder to that user (chown) or set DATABASE_URL to a path it can write`,
    )
  }
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    const found = nearestExisting(dirname(path))
    const blocker = found && !found.stat.isDirectory() ? found.path : dirname(resolve(path))
    return fail(`${blocker} is not a folder; set DATABASE_URL to a path in a folder`)
  }
  if (code === 'EISDIR') return fail('that path is a folder; set DATABASE_URL to a file in it, such as …/callbacks.db')
  if (code === 'SQLITE_NOTADB') return fail('the file is not a SQLite database; point DATABASE_URL at another file')
  if (code === 'SQLITE_CANTOPEN')
    return fail('SQLite cannot open the file; check that its folder exists and is writable')
  return error
}
