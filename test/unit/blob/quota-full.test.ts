// A site's report says its disk quota is full (blob/quota-full.ts) — at 95 % of it, or for 10 minutes
// after it refused bytes — so the replication factor places copies on sites with space first.
import { describe, expect, it } from 'vitest'
import { quotaIsFull } from '../../../daemon/blob/quota-full.js'
import type { QuotaView } from '../../../daemon/blob/types.js'

const view = (usedBytes: number, lastRefusalAtMs?: number): QuotaView => ({
  quotaBytes: 1000, usedBytes, downloadingBytes: 0, blobs: 1, evictions: 0, evictedBytes: 0, refusedFetches: 0, refusedMirrors: 0,
  lastRefusal: lastRefusalAtMs === undefined ? null : { atMs: lastRefusalAtMs, digest: 'sha256:00', bytes: 10, by: 'mirror' }
})

describe('quotaIsFull', () => {
  it('no quota is never full; 95 % of it is', () => {
    expect(quotaIsFull(null, 0)).toBe(false)
    expect(quotaIsFull(view(949), 0)).toBe(false)
    expect(quotaIsFull(view(950), 0)).toBe(true)
  })

  it('a refusal makes it full for 10 minutes', () => {
    expect(quotaIsFull(view(10, 1_000), 1_000 + 10 * 60_000 - 1)).toBe(true)
    expect(quotaIsFull(view(10, 1_000), 1_000 + 10 * 60_000)).toBe(false)
  })
})
