import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Environment } from '../../src/config/environment.ts'
import { ROOT } from '../helpers/service.ts'

// Checks anyone can run on the tree's shape: small files, and one declaration of the settings that
// the documentation's table follows.

const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  )

describe('the source tree', () => {
  it('has no file in src/ over 300 lines', () => {
    const long = sources('src')
      .map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > 300)
    expect(long).toEqual([])
  })

  it("documents exactly the settings src/config/environment.ts declares, in docs/configuration.md's table", () => {
    const table = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8')
    const documented = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!)
    expect([...documented].sort()).toEqual(Object.keys(Environment.shape).sort())
  })
})
