// The signed acknowledgement rows (protocol/acks.ts) each node holds, seen from outside: every row
// in an acks message a node sends or receives, kept if its member's signature verifies, merged by
// maximum per author as the core's collector merges them (tombstones.ts). From these the simulator
// recomputes the core's own stability test for an event at a node — what checkers/immutable.ts
// calls acknowledged. Rows live in memory, as in the core: a node's are forgotten when it crashes.
// Kept only in runs with rules (cluster.ts).

import { verifyAck, type SignedAck } from '../protocol/acks.js'
import type { Event } from '../protocol/event.js'
import type { Verifier } from '../protocol/ports.js'
import type { ReplicaApi } from '../protocol/replica-api.js'

type Row = Map<string, number>

export class AckLedger {
  /** Per node index: the process life its rows belong to, and member → merged row. */
  private readonly held = new Map<number, { incarnation: number, rows: Map<string, Row> }>()
  /** Rows whose signature verified (a row travels as one shared object). */
  private readonly verified = new WeakSet<SignedAck>()

  constructor (private readonly verifier: Verifier) {}

  /** Node `node`, in its process life `incarnation`, holds these rows (it sent or received them). */
  heard (node: number, incarnation: number, rows: readonly SignedAck[]): void {
    let entry = this.held.get(node)
    if (entry === undefined || entry.incarnation !== incarnation) {
      entry = { incarnation, rows: new Map() }
      this.held.set(node, entry)
    }
    for (const ack of rows) {
      if (!this.verified.has(ack)) {
        if (!verifyAck(ack, this.verifier)) continue
        this.verified.add(ack)
      }
      let row = entry.rows.get(ack.member)
      if (row === undefined) { row = new Map(); entry.rows.set(ack.member, row) }
      for (const [author, seq] of ack.vv) if (seq > (row.get(author) ?? 0)) row.set(author, seq)
    }
  }

  /**
   * Whether `e` is stable at the node, by the core's test (tombstones.ts): every current member's row
   * covers it, the node covers each member's own events up to its row and every cut member up to its
   * cut, and every author a row mentions is known to it.
   */
  stable (node: number, incarnation: number, replica: ReplicaApi, e: Event): boolean {
    const entry = this.held.get(node)
    const m = replica.members?.()
    if (entry === undefined || entry.incarnation !== incarnation || m === undefined) return false
    const covered = new Map(replica.versionVector())
    for (const [peer, seq] of m.cuts()) if ((covered.get(peer) ?? 0) < seq) return false
    const members = m.members()
    if (members.length === 0) return false
    for (const member of members) {
      const row = entry.rows.get(member)
      if (row === undefined || (row.get(e.author) ?? 0) < e.seq || (covered.get(member) ?? 0) < (row.get(member) ?? 0)) return false
      for (const author of row.keys()) if (!m.isKnown(author)) return false
    }
    return true
  }
}
