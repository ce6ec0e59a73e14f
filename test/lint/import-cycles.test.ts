import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = new URL('../../', import.meta.url).pathname
const BIOME = join(ROOT, 'node_modules/.bin/biome')
const lint = (path: string) =>
  promisify(execFile)(BIOME, ['lint', '--colors=off', path], { cwd: ROOT }).then(
    () => ({ code: 0, out: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      out: error.stdout + error.stderr,
    }),
  )

// `npm run lint` is what keeps src/ free of import circles; this holds its configuration to that.
describe('the linter', () => {
  const dir = mkdtempSync(join(ROOT, 'test', 'lint', '.cycle-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('fails on an import circle, a type-only one included', async () => {
    writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.ts'\n\nexport type A = { b?: B }\n")
    writeFileSync(join(dir, 'b.ts'), "import type { A } from './a.ts'\n\nexport type B = { a?: A }\n")
    const result = await lint(dir)
    expect(result.code).not.toBe(0)
    expect(result.out).toMatch(/lint\/suspicious\/noImportCycles/)
  })

  it('passes the same files once the circle is broken', async () => {
    writeFileSync(join(dir, 'b.ts'), 'export type B = { name?: string }\n')
    expect(await lint(dir)).toEqual({ code: 0, out: '' })
  })
})
