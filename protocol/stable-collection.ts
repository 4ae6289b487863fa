// What a replica keeps so that tombstones and superseded versions can be
// dropped once every member has stably seen their winner (the rule is in
// tombstones.ts): the keys worth looking at, our own durable coverage (the row
// we report in acks) and the rows other members reported — each the latest
// row signed by its member (acks.ts), checked before it gets here.
//
// Only a replica that knows its members ever collects (a members list, or a
// federation). Without one nobody asks for our durable coverage or for the
// collectable keys, so neither is kept: an acks reply then shows no coverage,
// which can only delay someone's collection, never hasten it.

import type { SignedAck } from './acks.js'
import type { Event } from './event.js'
import type { VersionVectorEntries } from './messages.js'
import type { LwwState } from './state.js'
import { TombstoneCollector } from './tombstones.js'
import { VersionVector } from './version-vector.js'

export class StableCollection {
  readonly enabled: boolean
  /** Keys holding a tombstone winner or retained superseded versions: what the collector looks at. */
  private readonly keys = new Set<string>()
  private readonly durableVV: VersionVector
  /** A sink for durableVV's change sets, which nobody reads (one set, not one per entry). */
  private readonly durableChanged = new Set<string>()
  private readonly acks = new TombstoneCollector()
  /** The latest signed row per member (highest stamp): relayed as is, and evidence for faults.ts. */
  private readonly signed = new Map<string, SignedAck>()

  constructor (enabled: boolean, durable?: VersionVectorEntries) {
    this.enabled = enabled
    this.durableVV = new VersionVector(durable)
  }

  /** A batch covering `vv` is on disk: it joins the row we report. */
  durable (vv: VersionVectorEntries): void {
    if (!this.enabled) return
    for (const [author, seq] of vv) this.durableVV.advance(author, 0, seq, this.durableChanged)
    this.durableChanged.clear()
  }

  /** After `key`'s versions changed: remember it if it now has something to drop. */
  note (key: string, state: LwwState): void {
    if (!this.enabled) return
    const w = state.get(key)
    if (w !== undefined && (w.body.kind === 'delete' || state.hasSuperseded(key))) this.keys.add(key)
  }

  /** Whether any key has something to drop (acks are only worth sending then). */
  get pending (): boolean {
    return this.keys.size > 0
  }

  /** Our durable coverage: the row we sign and report. */
  durableRow (): VersionVectorEntries {
    return this.durableVV.entries()
  }

  /** A verified row heard in an acks message (or our own, freshly signed). Returns whether it was news. */
  heard (ack: SignedAck): boolean {
    if (!this.isNews(ack)) return false
    this.signed.set(ack.member, ack)
    // Coverage only grows: a member's row is merged by maximum with what it said before.
    this.acks.record(ack.member, ack.vv)
    return true
  }

  /**
   * Whether a row says more than the one we hold of its member: a later stamp,
   * or the same stamp and more coverage (coverage can grow with no new stamp
   * observed, when anti-entropy vouches for superseded events). An honest
   * member's rows only grow in both, so this follows its own order.
   */
  isNews (ack: SignedAck): boolean {
    const had = this.signed.get(ack.member)
    return had === undefined || ack.stamp > had.stamp || (ack.stamp === had.stamp && coverage(ack.vv) > coverage(had.vv))
  }

  /** The latest signed row of `member`, if any was heard. */
  latest (member: string): SignedAck | undefined {
    return this.signed.get(member)
  }

  /** Rows to send: `own` first, then the others heard, at most `limit` rows and about `budgetBytes`. */
  rows (own: SignedAck | undefined, limit: number, budgetBytes: number): SignedAck[] {
    const out: SignedAck[] = []
    let bytes = 0
    if (own !== undefined) { out.push(own); bytes += own.bytes.length }
    for (const [member, row] of this.signed) {
      if (out.length >= limit || bytes + row.bytes.length > budgetBytes) break
      if (member === own?.member) continue
      out.push(row)
      bytes += row.bytes.length
    }
    return out
  }

  /** Those of `events` every member has stably seen (the same test as for winners, on any versions). */
  stableAmong (events: Event[], members: string[], own: VersionVector, known?: (author: string) => boolean, cut?: Array<[string, number]>): Event[] {
    return this.acks.stable(events, members, own, known, cut)
  }

  /**
   * The winners every member has stably seen; their keys are forgotten, and the caller drops the
   * versions they superseded and, for a tombstone, the winner itself.
   */
  stable (state: LwwState, members: string[], own: VersionVector, known?: (author: string) => boolean, cut?: Array<[string, number]>): Event[] {
    const winners: Event[] = []
    for (const key of this.keys) {
      const w = state.get(key)
      if (w === undefined) this.keys.delete(key)
      else winners.push(w)
    }
    const stable = this.acks.stable(winners, members, own, known, cut)
    for (const w of stable) this.keys.delete(w.body.key)
    return stable
  }
}

function coverage (vv: VersionVectorEntries): number {
  let n = 0
  for (const [, seq] of vv) n += seq
  return n
}
