// /metrics families of the daemon's defences (issue #17), read at scrape time from the parts that keep
// them: what was shed at a bound and whose, the event loop's delay, log lines held back, connection
// slots and the blob scrub. Defined apart from the hub's own families (hub.ts) so they can be added to
// one registry by whoever owns the parts (runtime.ts).

import type { LoopDelaySnapshot } from './loop-delay.js'
import type { MetricsRegistry } from './metrics.js'
import type { ShedLedger } from './shedding.js'

export interface AbuseSources {
  shed: ShedLedger
  loopDelay: { snapshot: () => LoopDelaySnapshot }
  offenders: { readonly suppressed: number }
  /** Connection slots (daemon/net/slots.ts), once the host runs. */
  slots?: () => Record<string, number> | undefined
  /** The blob scrub's counters (daemon/blob/scrub.ts). */
  scrub?: () => Record<string, number> | undefined
}

export function defineAbuseMetrics (m: MetricsRegistry, s: AbuseSources): void {
  const shed = m.counter('mycel_shed_total', 'Items dropped or refused because a bound was hit, by bound (held-events, too-far-ahead, send-queue, stranger-connections, log-lines, webhook-queue).')
  const shedBy = m.gauge('mycel_shed_offender_total', 'Items shed at a bound, by bound and offending peer (the offenders tracked: the heaviest 64 per bound).')
  const delay = m.gauge('mycel_event_loop_delay_seconds', 'Event-loop delay over the last one to two minutes, by quantile (0.5, 0.99, 1 = max).')
  const suppressed = m.counter('mycel_log_lines_suppressed_total', 'Log lines about an offender counted into a summary line instead of written.')
  const slots = m.gauge('mycel_connection_slots', 'Connections by kind (members, strangers) and strangers closed or refused, by reason.')
  const scrub = m.counter('mycel_blob_scrub_total', 'Blob scrub: blobs and bytes checked, corrupt copies found, repaired, not repaired.')
  m.onCollect(() => {
    for (const bound of s.shed.bounds()) shed.set(s.shed.total(bound), { bound })
    shedBy.reset()
    for (const e of s.shed.entries()) shedBy.set(e.count, { bound: e.bound, peer: e.peer })
    const d = s.loopDelay.snapshot()
    delay.set(d.p50Ms / 1000, { quantile: '0.5' })
    delay.set(d.p99Ms / 1000, { quantile: '0.99' })
    delay.set(d.maxMs / 1000, { quantile: '1' })
    suppressed.set(s.offenders.suppressed)
    for (const [kind, n] of Object.entries(s.slots?.() ?? {})) slots.set(n, { kind })
    for (const [what, n] of Object.entries(s.scrub?.() ?? {})) scrub.set(n, { what })
  })
}
