// `npm start` (and `migrate`, `replay`, `bench`): build dist/ only when something it is built from is
// newer than the last build, so that a start after `npm ci` (whose `prepare` builds) compiles nothing
// and answers within a second. When it must build, it says why on stderr first.
import { execFileSync } from 'node:child_process'
import { staleBuild } from './build-freshness.mjs'

const why = staleBuild()
if (why !== undefined) {
  process.stderr.write(`im-topic-sync: building dist/ (${why})…\n`)
  const node = process.execPath
  execFileSync(node, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
  execFileSync(node, ['scripts/finish-build.mjs'], { stdio: 'inherit' })
}
