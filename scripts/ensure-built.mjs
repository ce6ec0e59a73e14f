// `npm start` (and `migrate`, `replay`, `bench`): build dist/ only when something it is built from is
// newer than the last build, so that a start after `npm ci` (whose `prepare` builds) compiles nothing
// and answers within a second. When it must build, it says why on stderr first.
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Written by scripts/finish-build.mjs, the last step of every build. */
const STAMP = 'dist/.build-stamp'
const INPUTS = ['src', 'generated', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/finish-build.mjs']

/** The newest file under `path`, as [mtime, path]. */
function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return [stat.mtimeMs, path]
  return readdirSync(path)
    .map((name) => newest(join(path, name)))
    .reduce((a, b) => (b[0] > a[0] ? b : a), [stat.mtimeMs, path])
}

const [changedAt, changed] = INPUTS.map(newest).reduce((a, b) => (b[0] > a[0] ? b : a))
let builtAt = -Infinity
try {
  builtAt = statSync(STAMP).mtimeMs
} catch {
  // Never built, or built before stamps: build.
}
if (changedAt > builtAt) {
  const why = builtAt === -Infinity ? 'dist/ has not been built yet' : `${changed} changed since the last build`
  process.stderr.write(`im-topic-sync: building dist/ (${why})…\n`)
  const node = process.execPath
  execFileSync(node, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
  execFileSync(node, ['scripts/finish-build.mjs'], { stdio: 'inherit' })
}
