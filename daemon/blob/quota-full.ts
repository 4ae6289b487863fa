// Whether this site's disk quota counts as full, for its site report (`holdings.full`) and so for the
// replication factor's placement at every site, which chooses sites with space first (placement.ts
// `demoted`). Full: holding at least FULL_FRACTION of the quota, or having refused bytes within
// FULL_AFTER_REFUSAL_MS — a site that just turned a copy away would turn the next one away too.
import type { QuotaView } from './types.js'

export const FULL_FRACTION = 0.95
export const FULL_AFTER_REFUSAL_MS = 10 * 60_000

export function quotaIsFull (view: QuotaView | null, nowMs: number): boolean {
  if (view === null) return false
  if (view.usedBytes >= FULL_FRACTION * view.quotaBytes) return true
  return view.lastRefusal !== null && nowMs - view.lastRefusal.atMs < FULL_AFTER_REFUSAL_MS
}
