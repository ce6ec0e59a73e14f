import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/log/index.ts'
import { createImRestClient, createReconciler, type Reconciler } from '../../src/reconcile/index.ts'
import { openSqliteStore, type Store } from '../../src/store/index.ts'
import { type FakeIm, IM_ADMIN, IM_SECRET_KEY, startFakeIm } from '../helpers/fake-im.ts'

// A replica that crashed while it held the reconciliation lease cannot cost the others their startup
// run: the run is tried again when that lease runs out, and says so at info level.

const GROUP = '@TGS#_@TGS#takeover'

describe('reconciliation after a crashed lease holder', () => {
  let store: Store
  let im: FakeIm
  let reconciler: Reconciler | undefined
  const logs: Array<Record<string, unknown>> = []

  beforeEach(async () => {
    store = await openSqliteStore(':memory:')
    im = await startFakeIm({ enforceRate: false })
    im.addTopic(GROUP, { TopicId: `${GROUP}@TOPIC#_1`, TopicName: 'made while the holder was dead' })
    logs.length = 0
  })
  afterEach(async () => {
    await reconciler?.stop()
    await store.close()
    await im.close()
  })

  it('takes the lease over when it runs out, and runs the startup reconciliation then', async () => {
    // The dead holder's lease: it will never renew or release it.
    expect(await store.acquireLease('reconcile', 'crashed-replica', Date.now(), 400)).toBe(true)
    reconciler = createReconciler({
      store,
      client: createImRestClient({
        apiBase: im.url,
        sdkAppId: '1400000000',
        identifier: IM_ADMIN,
        secretKey: IM_SECRET_KEY,
      }),
      log: createLogger({ level: 'info', write: (line) => void logs.push(JSON.parse(line)) }),
      intervalMs: 0,
      leaseMs: 400,
    })
    reconciler.start()
    await expect
      .poll(() => logs.map((l) => l.msg))
      .toContain('reconciliation deferred: another replica holds the lease')
    expect(logs.find((l) => l.msg === 'reconciliation deferred: another replica holds the lease')).toMatchObject({
      level: 'info',
      retryInMs: 400,
    })
    await expect.poll(() => logs.map((l) => l.msg), { timeout: 3000 }).toContain('reconciled')
    expect((await store.groupTopics(GROUP)).map((t) => t.Name)).toEqual(['made while the holder was dead'])
  })

  it('ends a run in progress within a second when it is stopped, and changes nothing after', async () => {
    im.fail('get_topic', { kind: 'slow', ms: 5000 })
    reconciler = createReconciler({
      store,
      client: createImRestClient({
        apiBase: im.url,
        sdkAppId: '1400000000',
        identifier: IM_ADMIN,
        secretKey: IM_SECRET_KEY,
        timeoutMs: 10_000,
      }),
      log: createLogger({ level: 'info', write: (line) => void logs.push(JSON.parse(line)) }),
      intervalMs: 0,
    })
    reconciler.start()
    await expect.poll(() => im.calls.some((c) => c.command === 'get_topic')).toBe(true)
    const started = performance.now()
    await reconciler.stop()
    expect(performance.now() - started).toBeLessThan(1000)
    reconciler = undefined
    expect(logs.map((l) => l.msg)).toContain('reconciliation ended: the service is stopping')
    expect(await store.groupTopics(GROUP)).toEqual([])
  })
})
