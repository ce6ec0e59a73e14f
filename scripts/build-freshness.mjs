// When dist/ was last built, against the newest file it is built from. Shared by scripts/ensure-built.mjs
// (`npm start` builds when stale) and the process-level tests (which refuse to run a stale build).
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Written by scripts/finish-build.mjs, the last step of every build. */
export const STAMP = 'dist/.build-stamp'
const INPUTS = ['src', 'generated', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/finish-build.mjs']

/** The newest file under `path`, as [mtime, path]. */
function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return [stat.mtimeMs, path]
  return readdirSync(path)
    .map((name) => newest(join(path, name)))
    .reduce((a, b) => (b[0] > a[0] ? b : a), [stat.mtimeMs, path])
}

/**
 * Why dist/ under `root` must be built again, or undefined when it is up to date.
 *
 * @example
 * const why = staleBuild(process.cwd()) // 'src/app.ts changed since the last build'
 */
export function staleBuild(root = '.') {
  const [changedAt, changed] = INPUTS.map((input) => newest(join(root, input))).reduce((a, b) => (b[0] > a[0] ? b : a))
  let builtAt
  try {
    builtAt = statSync(join(root, STAMP)).mtimeMs
  } catch {
    return 'dist/ has not been built yet'
  }
  return changedAt > builtAt
    ? `${changed.slice(root === '.' ? 0 : root.length).replace(/^\//, '')} changed since the last build`
    : undefined
}
