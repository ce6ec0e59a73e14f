// The steps of `npm run build` after tsc: mark the CLI executable (tsc does not, and npm does not for
// a project's own bin), and copy the API reference's browser bundle into dist/assets, so that the
// built service serves it without @scalar/api-reference (a development dependency) installed. Last,
// the stamp that tells scripts/ensure-built.mjs (`npm start`) when dist/ was built.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

chmodSync('dist/src/cli/main.js', 0o755)
mkdirSync('dist/assets', { recursive: true })
copyFileSync(
  createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'),
  'dist/assets/api-reference.js',
)
writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`)
