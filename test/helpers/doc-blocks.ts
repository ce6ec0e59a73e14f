import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { ROOT } from './service.ts'

/** The user documentation: the README and every page of docs/, by path from the repository's root. */
export const DOC_FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
]

export const docText = (file: string) => readFileSync(join(ROOT, file), 'utf8')

/** Every fenced block of the documentation, with its file, language and the `<!-- block: NAME -->` above it. */
export const blocks = DOC_FILES.flatMap((file) =>
  [...docText(file).matchAll(/(?:<!-- block: ([\w-]+) -->\n)?```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    file,
    name: m[1],
    lang: m[2] ?? '',
    code: m[3]!,
  })),
)

/** The block named `name`: each runnable block is marked so, and run by one test. */
export function block(name: string): string {
  const found = blocks.filter((b) => b.name === name)
  expect(found, `one documentation block marked block: ${name}`).toHaveLength(1)
  return found[0]!.code
}
