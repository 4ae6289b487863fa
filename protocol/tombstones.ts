// Causal stability: when may a tombstone, or the versions a winner superseded, be dropped?
//
// Each member periodically reports its *durable* version vector (an ack; it
// never shrinks, even across crashes). Replica N may drop tombstone t when, for
// every current member M:
//   1. ack_M covers t                      — M has t (or something newer) on disk;
//   2. N's own coverage of M ≥ ack_M[M]    — N has every event M wrote before
//                                            that ack. Anything M writes after
//                                            seeing t is stamped above t (HLC), so
//                                            no put below t from M can reach N later.
// Together: no member can ever again deliver, to N, a put that t must beat.
// Without a membership list (components.members) nothing is collected.
//
// Acks travel in acks{...} messages: a member's own row plus the rows it has
// heard, so they spread epidemically; each row is signed by its member
// (acks.ts), so nobody can speak for another. Rows are whole vectors,
// O(members²) in all: fine for federations of sites; relayed only while
// something waits to be collected.

import type { Event } from './event.js'
import type { VersionVectorEntries } from './messages.js'
import type { VersionVector } from './version-vector.js'

export class TombstoneCollector {
  private readonly acks = new Map<string, Map<string, number>>()

  /** Merges a reported ack row: acks only grow, so keep the per-author maximum. */
  record (member: string, vv: VersionVectorEntries): void {
    let row = this.acks.get(member)
    if (row === undefined) { row = new Map(); this.acks.set(member, row) }
    for (const [author, seq] of vv) {
      if (seq > (row.get(author) ?? 0)) row.set(author, seq)
    }
  }

  /**
   * The events among `candidates` that every member in `members` has stably
   * acknowledged. With `known`, a member list that may be incomplete (a
   * federation's, derived from grants still arriving) is trusted only when
   * every author any member's row mentions is known to it: a joiner that has
   * heard of the founder alone must not collect on the founder's word. `cut`
   * lists members no longer required to ack, with the last of their events
   * that counts: we must cover those.
   */
  stable (candidates: Iterable<Event>, members: string[], own: VersionVector, known?: (author: string) => boolean, cut: Array<[string, number]> = []): Event[] {
    if (members.length === 0) return []
    // A member cut off (revoked, suspended) acks no more, but its events up to the cut still count
    // and could still arrive: hold everything until we cover them (the cut is an honest member's
    // view of it, so they are reachable), or one of them could land after the tombstone it lost to.
    for (const [m, seq] of cut) if (own.covered(m) < seq) return []
    const rows: Array<Map<string, number>> = []
    for (const m of members) {
      const row = this.acks.get(m)
      if (row === undefined) return []
      // Condition 2, independent of the tombstone.
      if (own.covered(m) < (row.get(m) ?? 0)) return []
      if (known !== undefined) for (const author of row.keys()) if (!known(author)) return []
      rows.push(row)
    }
    const out: Event[] = []
    for (const t of candidates) {
      if (rows.every(row => (row.get(t.author) ?? 0) >= t.seq)) out.push(t)
    }
    return out
  }
}
