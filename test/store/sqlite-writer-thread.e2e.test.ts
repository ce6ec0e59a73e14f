import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from '../helpers/service.ts'
import { runStoreContract } from './store-contract.ts'

// The same contract on the built store, whose callbacks are committed by its writer thread (the
// TypeScript sources that vitest runs cannot start that thread on Node; the built JavaScript can).
runStoreContract('SQLite, writing on its own thread', async () => {
  const built = (await import(
    pathToFileURL(join(ROOT, 'dist/src/store/index.js')).href
  )) as typeof import('../../src/store/index.ts')
  const dir = mkdtempSync(join(tmpdir(), 'imsync-'))
  const path = join(dir, 'threaded.db')
  return {
    open: () => built.openSqliteStore(path, { writerThread: true }),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  }
})
