// The steps of `npm run build` after tsc: emit the Deno entry, mark the CLI executable (tsc does not,
// and npm does not for a project's own bin), and copy the API reference's browser bundle into dist/assets, so that the
// built service serves it without @scalar/api-reference (a development dependency) installed. Last,
// the stamp that tells scripts/ensure-built.mjs (`npm start`) when dist/ was built.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import ts from 'typescript'

// src/deno.ts uses Deno's own types, which tsc does not have: `deno check` checks it (npm run
// typecheck), and here its types are only erased, so that the package runs on Deno from dist/ alone.
const { outputText } = ts.transpileModule(readFileSync('src/deno.ts', 'utf8'), {
  compilerOptions: {
    module: ts.ModuleKind.ESNext,
    target: ts.ScriptTarget.ES2022,
    rewriteRelativeImportExtensions: true,
    verbatimModuleSyntax: true,
  },
})
writeFileSync('dist/src/deno.js', outputText)

chmodSync('dist/src/cli/main.js', 0o755)
mkdirSync('dist/assets', { recursive: true })
copyFileSync(
  createRequire(import.meta.url).resolve('@scalar/api-reference/browser/standalone.js'),
  'dist/assets/api-reference.js',
)
writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`)
