import { describe, expect, it } from 'vitest'
import { createGroupCommit } from '../../src/store/group-commit.ts'

describe('group commit', () => {
  it('commits writes that arrive together in one transaction, each caller getting its own result', async () => {
    const batches: number[][] = []
    const writes = createGroupCommit<number, string>({
      commit: async (items) => {
        batches.push(items)
        return items.map((n) => `ok ${n}`)
      },
    })
    const results = await Promise.all([1, 2, 3, 4].map((n) => writes.submit(n)))
    expect(results).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4'])
    expect(batches).toEqual([[1, 2, 3, 4]])
  })

  it('batches the writes that arrive while a commit is in flight into the next one', async () => {
    const batches: number[][] = []
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const writes = createGroupCommit<number, number>({
      commit: async (items) => {
        batches.push(items)
        if (batches.length === 1) await gate
        return items
      },
    })
    const first = writes.submit(1)
    await new Promise((r) => setImmediate(r))
    const later = [2, 3, 4].map((n) => writes.submit(n))
    release()
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4])
    expect(batches).toEqual([[1], [2, 3, 4]])
  })

  it('does not resolve a write before its batch has committed', async () => {
    let committed = false
    const writes = createGroupCommit<number, number>({
      commit: async (items) => {
        await new Promise((r) => setTimeout(r, 20))
        committed = true
        return items
      },
    })
    await writes.submit(1)
    expect(committed).toBe(true)
  })

  it("fails only the bad write when a batch fails on one item's data", async () => {
    const writes = createGroupCommit<number, number>({
      commit: async (items) => {
        if (items.includes(3)) throw Object.assign(new Error('bad data'), { code: '22021' })
        return items
      },
      isolate: (error) => (error as { code?: string }).code === '22021',
    })
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => writes.submit(n)))
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
  })

  it('fails the whole batch at once when the database itself is down', async () => {
    let calls = 0
    const writes = createGroupCommit<number, number>({
      commit: async () => {
        calls++
        throw new Error('connection refused')
      },
      isolate: () => false,
    })
    const results = await Promise.allSettled([1, 2, 3].map((n) => writes.submit(n)))
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    expect(calls).toBe(1)
  })

  it('caps the size of one transaction', async () => {
    const sizes: number[] = []
    const writes = createGroupCommit<number, number>({
      commit: async (items) => (sizes.push(items.length), items),
      maxBatch: 2,
    })
    await Promise.all([1, 2, 3, 4, 5].map((n) => writes.submit(n)))
    expect(sizes).toEqual([2, 2, 1])
  })

  it('drains: resolves once everything submitted has committed', async () => {
    const done: number[] = []
    const writes = createGroupCommit<number, number>({ commit: async (items) => (done.push(...items), items) })
    void writes.submit(1)
    void writes.submit(2)
    await writes.drain()
    expect(done).toEqual([1, 2])
  })
})
