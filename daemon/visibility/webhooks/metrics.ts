// The webhook families of GET /metrics. Every series is labelled
// `webhook="<index in the config>"`, never by URL: a webhook URL often carries
// a secret. The counters count since the daemon started.
// mycel_webhook_deliveries_total and mycel_webhook_queue_length are the names
// of the first webhooks (before the durable queue), kept with the same
// meaning for dashboards made with them.

import type { MetricsRegistry } from '../metrics.js'
import type { WebhookStats } from './webhooks.js'

/** Attempt durations: a local receiver answers in ms; the default deadline is 15 s. */
const ATTEMPT_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30]

export interface WebhookMetrics {
  /** An attempt ended (fed live). */
  observeAttempt: (index: number, seconds: number, ok: boolean) => void
  /** Mirrors the counters at scrape time. */
  collect: (stats: WebhookStats[]) => void
}

export function webhookMetrics (m: MetricsRegistry): WebhookMetrics {
  const pending = m.gauge('mycel_webhook_pending', 'Deliveries waiting per webhook (in the durable queue).')
  const pendingBytes = m.gauge('mycel_webhook_pending_bytes', 'Bytes of bodies waiting per webhook.')
  const full = m.gauge('mycel_webhook_queue_full', '1 while a webhook\'s queue is at its bound (maxPending or maxPendingBytes): new deliveries push the oldest waiting ones out.')
  const delivered = m.counter('mycel_webhook_delivered_total', 'Deliveries a webhook accepted (2xx).')
  const failed = m.counter('mycel_webhook_failed_total', 'Deliveries given up after retryGiveUpMs.')
  const dropped = m.counter('mycel_webhook_dropped_total', 'Deliveries dropped from a full queue (oldest first).')
  const attempts = m.histogram('mycel_webhook_attempt_duration_seconds', 'Duration of each delivery attempt, by webhook and outcome (ok: 2xx; error: any other answer, none, or a timeout).', ATTEMPT_SECONDS_BUCKETS)
  const legacy = m.counter('mycel_webhook_deliveries_total', 'Webhook deliveries by webhook and outcome: ok, retry (a failed attempt that will be retried), failed (given up), dropped (queue full).')
  const legacyQueue = m.gauge('mycel_webhook_queue_length', 'Deliveries waiting per webhook (the same as mycel_webhook_pending).')
  return {
    observeAttempt: (index, seconds, ok) => { attempts.observe(seconds, { webhook: String(index), outcome: ok ? 'ok' : 'error' }) },
    collect: stats => {
      pending.reset(); pendingBytes.reset(); legacyQueue.reset(); full.reset()
      stats.forEach((w, i) => {
        const webhook = String(i)
        pending.set(w.pending, { webhook }); pendingBytes.set(w.pendingBytes, { webhook }); legacyQueue.set(w.pending, { webhook })
        full.set(w.full ? 1 : 0, { webhook })
        delivered.set(w.delivered, { webhook }); failed.set(w.failed, { webhook }); dropped.set(w.dropped, { webhook })
        legacy.set(w.delivered, { webhook, outcome: 'ok' }); legacy.set(w.retries, { webhook, outcome: 'retry' })
        legacy.set(w.failed, { webhook, outcome: 'failed' }); legacy.set(w.dropped, { webhook, outcome: 'dropped' })
      })
    }
  }
}
