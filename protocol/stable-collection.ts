// What a replica keeps so that tombstones and superseded versions can be
// dropped once every member has stably seen their winner (the rule is in
// tombstones.ts): the keys worth looking at, our own durable coverage (the row
// we report in acks) and the rows other members reported.
//
// Only a replica that knows its members ever collects (a members list, or a
// federation). Without one nobody asks for our durable coverage or for the
// collectable keys, so neither is kept: an acks reply then shows no coverage,
// which can only delay someone's collection, never hasten it.

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

  /** Merges a row heard in an acks message (rows only grow, so relayed rows merge monotonically). */
  heard (member: string, row: VersionVectorEntries): void {
    this.acks.record(member, row)
  }

  /** Our own row (durable coverage, refreshed) and every row heard, at most `limit`. */
  rows (self: string, limit: number): Array<[string, VersionVectorEntries]> {
    this.acks.record(self, this.durableVV.entries())
    return this.acks.rows(limit)
  }

  /**
   * The winners every member has stably seen; their keys are forgotten, and the caller drops the
   * versions they superseded and, for a tombstone, the winner itself.
   */
  stable (state: LwwState, members: string[], own: VersionVector): Event[] {
    const winners: Event[] = []
    for (const key of this.keys) {
      const w = state.get(key)
      if (w === undefined) this.keys.delete(key)
      else winners.push(w)
    }
    const stable = this.acks.stable(winners, members, own)
    for (const w of stable) this.keys.delete(w.body.key)
    return stable
  }
}
