// /metrics families of the disk quota (blob/quota.ts), read at scrape time from its ledger. Defined
// only when a quota is set (runtime.ts): a site without one has none of these series.

import type { QuotaView } from '../blob/types.js'
import type { MetricsRegistry } from './metrics.js'

export function defineQuotaMetrics (m: MetricsRegistry, view: () => QuotaView | null): void {
  const bytes = m.gauge('mycel_blob_quota_bytes', 'The blob disk quota and what is counted against it, by kind (limit; used: complete blobs and downloads; downloading: downloads, at their full size).')
  const evictions = m.counter('mycel_blob_evictions_total', 'Blobs (or left-over downloads) evicted to stay under the disk quota.')
  const evicted = m.counter('mycel_blob_evicted_bytes_total', 'Bytes evicted to stay under the disk quota.')
  const refused = m.counter('mycel_blob_quota_refusals_total', 'New blob bytes refused for want of room under the quota, by whose fetch (fetch: someone waited on it; mirror: the eager mirror, which retries).')
  m.onCollect(() => {
    const q = view()
    if (q === null) return
    bytes.set(q.quotaBytes, { kind: 'limit' })
    bytes.set(q.usedBytes, { kind: 'used' })
    bytes.set(q.downloadingBytes, { kind: 'downloading' })
    evictions.set(q.evictions)
    evicted.set(q.evictedBytes)
    refused.set(q.refusedFetches, { by: 'fetch' })
    refused.set(q.refusedMirrors, { by: 'mirror' })
  })
}
