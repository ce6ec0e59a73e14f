/** Where the embedded database lives when `DATABASE_URL` is not set. */
export const DEFAULT_SQLITE_PATH = './data/callbacks.db'

/**
 * Thrown for a `DATABASE_URL` this service cannot use. Its message names the scheme and never the
 * rest of the URL, which may hold a password.
 *
 * @example
 * ```ts
 * try { describeDatabaseUrl('mysql://u:pw@h/db') } catch (error) { error instanceof DatabaseUrlError } // true
 * ```
 */
export class DatabaseUrlError extends Error {
  override readonly name = 'DatabaseUrlError'
}

const SUPPORTED = 'use postgres:// or postgresql:// for PostgreSQL, or file: or a plain path for SQLite'

const ENCODE = "percent-encode it (encodeURIComponent: '/' is %2F, '#' is %23, '?' is %3F, '@' is %40, ':' is %3A)"

/**
 * A PostgreSQL URL as given, once it parses as one: a password holding an unencoded `/`, `#` or `?`
 * would otherwise move the rest of the URL into a path, a fragment or a query, and the service would
 * try to reach a host named after the user. The messages never show the URL.
 */
function checkPostgresUrl(url: string): string {
  const rest = url.replace(/^postgres(ql)?:\/\//i, '')
  const at = rest.lastIndexOf('@')
  if (at > 0) {
    const userinfo = rest.slice(0, at)
    const reserved = /[/#?]/.exec(userinfo)?.[0]
    if (reserved !== undefined && userinfo.split(/[/#?]/)[0]!.includes(':')) {
      throw new DatabaseUrlError(
        `DATABASE_URL's password holds a "${reserved}" that is not percent-encoded, so the URL's host cannot be found; ${ENCODE}`,
      )
    }
  }
  try {
    new URL(url)
  } catch {
    throw new DatabaseUrlError(
      `DATABASE_URL is not a valid URL (postgres://user:password@host:5432/database); if the user or the password holds a reserved character, ${ENCODE}`,
    )
  }
  return url
}

/**
 * Which database a `DATABASE_URL` names: `postgres://` and `postgresql://` URLs select PostgreSQL;
 * unset, a `file:` URL or a plain path select SQLite. Any other scheme (`mysql://`, a typo such as
 * `postgress://`) throws a {@link DatabaseUrlError} rather than becoming a SQLite file named after the
 * URL: a replica that quietly opened a local database would split the data.
 *
 * @example
 * ```ts
 * describeDatabaseUrl('file:./data/x.db') // { kind: 'sqlite', path: './data/x.db' }
 * ```
 */
export function describeDatabaseUrl(
  url: string | undefined,
): { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string } {
  if (url === undefined || url === '') return { kind: 'sqlite', path: DEFAULT_SQLITE_PATH }
  if (/^postgres(ql)?:\/\//i.test(url)) return { kind: 'postgres', url: checkPostgresUrl(url) }
  if (/^file:/i.test(url)) {
    // file:///abs/path, file:/abs/path and file:relative/path all name a path.
    const path = url.replace(/^file:(\/\/(?=\/))?/i, '')
    return { kind: 'sqlite', path: decodeURIComponent(path) }
  }
  // A scheme is letters, digits, +, - and . after a letter; a one-letter "scheme" is a Windows drive.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]
  if (scheme !== undefined && scheme.length > 1) {
    const shown = JSON.stringify(`${scheme.slice(0, 32)}:`)
    if (/^postgres(ql)?$/i.test(scheme)) {
      throw new DatabaseUrlError(
        `DATABASE_URL starts with ${shown} but not "${scheme.toLowerCase()}://"; write it as postgres://user:password@host:5432/database`,
      )
    }
    throw new DatabaseUrlError(
      `DATABASE_URL has the scheme ${shown}, which this service does not support: ${SUPPORTED}`,
    )
  }
  return { kind: 'sqlite', path: url }
}
