import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// Library mode promises TSDoc with an @example on every export of the package's entry points.
const entries = ['../../src/index.ts', '../../src/client/index.ts'].map((p) =>
  fileURLToPath(new URL(p, import.meta.url)),
)

describe('the package exports', () => {
  it('each carry TSDoc with an @example', () => {
    const program = ts.createProgram(entries, {
      allowImportingTsExtensions: true,
      noEmit: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
    })
    const checker = program.getTypeChecker()
    const missing: string[] = []
    let checked = 0
    for (const entry of entries) {
      const source = program.getSourceFile(entry)!
      for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(source)!)) {
        const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
        const declaration = target.declarations?.[0]
        if (!declaration) continue
        checked++
        // A namespace re-export (`export type * as X`) is documented by its module's own comment.
        const documented = ts.isSourceFile(declaration)
          ? /^\/\*\*[\s\S]*?@example[\s\S]*?\*\//.test(declaration.text.trimStart())
          : ts.getJSDocTags(declaration).some((tag) => tag.tagName.text === 'example')
        if (!documented) missing.push(exported.name)
      }
    }
    expect(checked).toBeGreaterThan(40)
    expect(missing).toEqual([])
  })
})
