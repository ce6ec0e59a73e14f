/**
 * What the service counts; rendered as Prometheus text at `GET /metrics`.
 *
 * @example
 * ```ts
 * const metrics: Metrics = createMetrics()
 * const app = createApp({ config, store, metrics })
 * ```
 */
export interface Metrics {
  /** One callback answered: its command (authenticated callbacks only), outcome and duration. */
  callback(command: string | undefined, outcome: string, seconds: number): void
  /** One refusal, by its kind (`sign_mismatch`, `body_invalid`, …). */
  refusal(reason: string): void
  /** One store transaction committed, with how many callbacks it held. */
  commit(batchSize: number, seconds: number): void
  /** One store transaction that failed. */
  commitFailure(): void
  /** One store transaction run again after it lost a deadlock or a serialization conflict. */
  conflictRetry(): void
  /** One PostgreSQL transaction that changed topics: its wait for the change counter's lock, and its hold of it. */
  counterLock(waitSeconds: number, holdSeconds: number): void
  /** Events deleted by event log retention. */
  eventsPruned(count: number): void
  /** One read API request answered, by the id of its key (never the key), its scope and its status. */
  apiRequest(keyId: string, scope: string, status: number): void
  /**
   * One webhook delivery attempt, by subscription and outcome (`delivered`, `http_error`, `timeout`,
   * `connection_error`, `address_refused`).
   */
  webhookAttempt(subscriptionId: string, outcome: string): void
  /** A webhook subscription disabled after its retries ran out or a 410 Gone. */
  webhookDisabled(subscriptionId: string): void
  /** The lag of every subscription this replica delivers, replacing the last figures. */
  webhookLags(lags: ReadonlyMap<string, { changes: number; seconds: number }>): void
  /** The Prometheus text exposition (version 0.0.4). */
  render(): string
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2]
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 256]
/** Command names come from the request: past this many distinct ones, the rest count as "other". */
const MAX_COMMANDS = 64

class Histogram {
  readonly buckets: readonly number[]
  readonly counts: number[]
  sum = 0
  total = 0
  constructor(buckets: readonly number[]) {
    this.buckets = buckets
    this.counts = buckets.map(() => 0)
  }
  observe(value: number): void {
    this.sum += value
    this.total++
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) this.counts[i]!++
  }
  render(name: string, help: string): string[] {
    return [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} histogram`,
      ...this.buckets.map((le, i) => `${name}_bucket{le="${le}"} ${this.counts[i]}`),
      `${name}_bucket{le="+Inf"} ${this.total}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.total}`,
    ]
  }
}

const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

function counterLines(
  name: string,
  help: string,
  values: Map<string, number>,
  labels: (key: string) => string,
): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} counter`,
    ...[...values].map(([key, n]) => `${name}{${labels(key)}} ${n}`),
  ]
}

/**
 * Makes the service's metrics: callbacks by command and outcome, a latency histogram, store commit
 * batch sizes and failures, and refusals by reason. Label values are bounded, so that hostile input
 * cannot grow them without end.
 *
 * @example
 * ```ts
 * const metrics = createMetrics()
 * metrics.callback('Group.CallbackAfterCreateTopic', 'stored', 0.0012)
 * metrics.render() // '# HELP im_callbacks_total …'
 * ```
 */
export function createMetrics(): Metrics {
  const callbacks = new Map<string, number>()
  const commands = new Set<string>()
  const refusals = new Map<string, number>()
  const apiRequests = new Map<string, number>()
  const latency = new Histogram(LATENCY_BUCKETS)
  const batches = new Histogram(BATCH_BUCKETS)
  const commitSeconds = new Histogram(LATENCY_BUCKETS)
  const counterWait = new Histogram(LATENCY_BUCKETS)
  const counterHold = new Histogram(LATENCY_BUCKETS)
  let commitFailures = 0
  let conflictRetries = 0
  let eventsPruned = 0
  const webhookAttempts = new Map<string, number>()
  const webhooksDisabled = new Map<string, number>()
  let webhookLags: ReadonlyMap<string, { changes: number; seconds: number }> = new Map()
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

  return {
    callback(command, outcome, seconds) {
      let name = command ?? ''
      if (name !== '' && !commands.has(name)) {
        if (commands.size >= MAX_COMMANDS) name = 'other'
        else commands.add(name)
      }
      bump(callbacks, `${name}\u0000${outcome}`)
      latency.observe(seconds)
    },
    refusal: (reason) => void bump(refusals, reason),
    commit(batchSize, seconds) {
      batches.observe(batchSize)
      commitSeconds.observe(seconds)
    },
    commitFailure: () => void commitFailures++,
    conflictRetry: () => void conflictRetries++,
    counterLock(waitSeconds, holdSeconds) {
      counterWait.observe(waitSeconds)
      counterHold.observe(holdSeconds)
    },
    eventsPruned: (count) => {
      eventsPruned += count
    },
    apiRequest: (keyId, scope, status) => void bump(apiRequests, `${keyId}\u0000${scope}\u0000${status}`),
    webhookAttempt: (subscriptionId, outcome) => void bump(webhookAttempts, `${subscriptionId}\u0000${outcome}`),
    webhookDisabled: (subscriptionId) => void bump(webhooksDisabled, subscriptionId),
    webhookLags: (lags) => {
      webhookLags = lags
    },
    render() {
      return [
        ...counterLines(
          'im_callbacks_total',
          'Callbacks answered, by CallbackCommand and outcome.',
          callbacks,
          (key) => {
            const [command, outcome] = key.split('\u0000') as [string, string]
            return `command="${escapeLabel(command)}",outcome="${escapeLabel(outcome)}"`
          },
        ),
        ...latency.render('im_callback_duration_seconds', 'Time from arrival to answer of a callback.'),
        ...counterLines(
          'im_refusals_total',
          'Requests refused, by reason.',
          refusals,
          (reason) => `reason="${escapeLabel(reason)}"`,
        ),
        ...counterLines(
          'im_api_requests_total',
          'Read API requests answered, by key id, scope and status.',
          apiRequests,
          (key) => {
            const [keyId, scope, status] = key.split('\u0000') as [string, string, string]
            return `key="${escapeLabel(keyId)}",scope="${escapeLabel(scope)}",status="${status}"`
          },
        ),
        ...batches.render('im_store_commit_batch_size', 'Callbacks per store transaction (group commit).'),
        ...commitSeconds.render('im_store_commit_duration_seconds', 'Time to commit one store transaction.'),
        ...counterWait.render(
          'im_store_counter_lock_wait_seconds',
          "Time to take the change counter's lock, per PostgreSQL transaction that changed topics (one round trip included).",
        ),
        ...counterHold.render(
          'im_store_counter_lock_hold_seconds',
          "Time the change counter's lock was held, to the end of the commit (one round trip included).",
        ),
        '# HELP im_store_commit_failures_total Store transactions that failed.',
        '# TYPE im_store_commit_failures_total counter',
        `im_store_commit_failures_total ${commitFailures}`,
        '# HELP im_store_conflict_retries_total Store transactions run again after a deadlock or a serialization conflict.',
        '# TYPE im_store_conflict_retries_total counter',
        `im_store_conflict_retries_total ${conflictRetries}`,
        ...counterLines(
          'im_webhook_attempts_total',
          'Webhook delivery attempts, by subscription and outcome.',
          webhookAttempts,
          (key) => {
            const [subscription, outcome] = key.split('\u0000') as [string, string]
            return `subscription="${escapeLabel(subscription)}",outcome="${outcome}"`
          },
        ),
        ...counterLines(
          'im_webhook_disabled_total',
          'Webhook subscriptions disabled after their retries ran out or a 410 Gone.',
          webhooksDisabled,
          (subscription) => `subscription="${escapeLabel(subscription)}"`,
        ),
        '# HELP im_webhook_lag_changes Changes of the feed after the position a subscription acknowledged.',
        '# TYPE im_webhook_lag_changes gauge',
        ...[...webhookLags].map(
          ([id, lag]) => `im_webhook_lag_changes{subscription="${escapeLabel(id)}"} ${lag.changes}`,
        ),
        '# HELP im_webhook_lag_seconds Age of the oldest change a subscription has not acknowledged.',
        '# TYPE im_webhook_lag_seconds gauge',
        ...[...webhookLags].map(
          ([id, lag]) => `im_webhook_lag_seconds{subscription="${escapeLabel(id)}"} ${lag.seconds}`,
        ),
        '# HELP im_events_pruned_total Events deleted from the event log by retention (EVENT_RETENTION_DAYS).',
        '# TYPE im_events_pruned_total counter',
        `im_events_pruned_total ${eventsPruned}`,
        '',
      ].join('\n')
    },
  }
}
