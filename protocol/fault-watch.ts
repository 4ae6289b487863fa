// Watches what arrives for the contradictions faults.ts proves: a second
// event at a held (author, seq), an event that does not chain to the held
// event at the seq before (or after), or whose stamp runs against theirs, an event
// stamped at or below its author's signed acknowledgement. Findings wait here until the replica writes them as fault
// events (it must be a member to), one per accused member and fault seq.

import type { SignedAck } from './acks.js'
import type { AuthorLog } from './author-log.js'
import { equalBytes } from './bytes.js'
import type { Event, FaultKind } from './event.js'
import { contradiction } from './faults.js'

export interface Finding {
  peer: string
  proof: FaultKind
  a: Uint8Array
  b: Uint8Array
  /** The accused is suspended from this seq on. */
  fromSeq: number
}

export class FaultWatch {
  private readonly found = new Map<string, Finding>()
  /** Contradictions noticed (each counted once per accused and seq). */
  noticed = 0

  /** (e.author, e.seq) was already seen: a twin, if we hold a different event there. */
  duplicate (e: Event, log: AuthorLog): void {
    const held = log.get(e.author, e.seq)
    if (held !== undefined && !equalBytes(held.id, e.id)) this.note({ peer: e.author, proof: 'twin', a: held.bytes, b: e.bytes, fromSeq: e.seq })
  }

  /** A new event about to be applied: checked against its author's held events at the seqs either side, and its signed acknowledgement. */
  arriving (e: Event, log: AuthorLog, ack: SignedAck | undefined): void {
    // Only the adjacent seqs (two lookups): a scan for the nearest held ones cost a thousand-node run dearly.
    for (const n of [log.get(e.author, e.seq - 1), log.get(e.author, e.seq + 1)]) {
      const c = n === undefined ? undefined : contradiction(n, e)
      if (c !== undefined) this.note({ peer: e.author, proof: c.proof, a: c.a.bytes, b: c.b.bytes, fromSeq: c.fromSeq })
    }
    if (ack !== undefined && e.seq > ack.seq && e.stamp <= ack.stamp) this.note({ peer: e.author, proof: 'backdate', a: e.bytes, b: ack.bytes, fromSeq: e.seq })
  }

  /** A newer signed acknowledgement: held events above its seq must be stamped above it. */
  acked (ack: SignedAck, log: AuthorLog): void {
    log.newestFirst(ack.member, e => {
      if (e.seq <= ack.seq) return false
      if (e.stamp <= ack.stamp) this.note({ peer: e.author, proof: 'backdate', a: e.bytes, b: ack.bytes, fromSeq: e.seq })
      return true
    })
  }

  /** Findings not yet taken, the lowest fault seq per accused. */
  take (): Finding[] {
    const out = [...this.found.values()]
    this.found.clear()
    return out
  }

  get pending (): boolean {
    return this.found.size > 0
  }

  private note (f: Finding): void {
    const had = this.found.get(f.peer)
    if (had !== undefined && had.fromSeq <= f.fromSeq) return
    this.noticed++
    this.found.set(f.peer, f)
  }
}
