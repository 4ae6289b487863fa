// What the daemon shed because a bound was hit, and whose it was (issue #17): when a queue a peer can
// fill is full, the daemon drops the offender's part (the peer holding the most held events, the peer
// whose send queue overflows, the stranger over its connection share) and records it here. `mycel
// status --json` shows it under stats.shed, and /metrics as mycel_shed_total{bound} and, for the
// offenders tracked, mycel_shed_offender_total{bound,peer}.

/** The bounds whose hits are recorded; docs/daemon.md "Limits" says what each one is. */
export type ShedBound =
  | 'held-events' // the hold queue of future-stamped events was full: the heaviest sender's were dropped
  | 'too-far-ahead' // events stamped beyond the hold horizon, refused without holding
  | 'send-queue' // a peer too slow to take our messages: dropped from its queue (anti-entropy repairs)
  | 'stranger-connections' // connections of peers that had not proven membership, closed
  | 'log-lines' // log lines about an offender, counted instead of written
  | 'webhook-queue' // a webhook's delivery queue was full (its receiver down or slow): its oldest waiting deliveries dropped

/** Offenders tracked per bound; past it, the one with the least is forgotten for the newcomer. */
const MAX_OFFENDERS_PER_BOUND = 64
/** Offenders listed per bound in status (the top ones). */
const STATUS_OFFENDERS = 5

export interface ShedSnapshot {
  total: number
  offenders: Array<{ peer: string, count: number }>
}

export class ShedLedger {
  private readonly totals = new Map<ShedBound, number>()
  private readonly byPeer = new Map<ShedBound, Map<string, number>>()

  /** `onNote` is told of every note (the daemon settles its memory after a burst: memory-settle.ts). */
  constructor (private readonly onNote?: () => void) {}

  note (bound: ShedBound, offender: string, n = 1): void {
    this.onNote?.()
    this.totals.set(bound, (this.totals.get(bound) ?? 0) + n)
    if (offender === '') return
    let peers = this.byPeer.get(bound)
    if (peers === undefined) {
      peers = new Map()
      this.byPeer.set(bound, peers)
    }
    if (!peers.has(offender) && peers.size >= MAX_OFFENDERS_PER_BOUND) {
      let least: string | undefined
      let leastCount = Infinity
      for (const [p, c] of peers) if (c < leastCount) { least = p; leastCount = c }
      if (least !== undefined) peers.delete(least)
    }
    peers.set(offender, (peers.get(offender) ?? 0) + n)
  }

  total (bound: ShedBound): number {
    return this.totals.get(bound) ?? 0
  }

  /** Per bound hit so far: the total and the top offenders. */
  snapshot (): Partial<Record<ShedBound, ShedSnapshot>> {
    const out: Partial<Record<ShedBound, ShedSnapshot>> = {}
    for (const [bound, total] of this.totals) {
      const offenders = [...(this.byPeer.get(bound) ?? new Map<string, number>())]
        .sort((a, b) => b[1] - a[1]).slice(0, STATUS_OFFENDERS).map(([peer, count]) => ({ peer, count }))
      out[bound] = { total, offenders }
    }
    return out
  }

  /** Every tracked (bound, offender, count), for the metrics. */
  * entries (): Generator<{ bound: ShedBound, peer: string, count: number }> {
    for (const [bound, peers] of this.byPeer) for (const [peer, count] of peers) yield { bound, peer, count }
  }

  bounds (): ShedBound[] {
    return [...this.totals.keys()]
  }
}
