// What `status` reports as each peer's lag. A peer tells us its version vector
// in `vv` messages (anti-entropy), and a `digest` equal to ours means it has
// exactly our state. We keep the last such report per peer and compare it
// with our current version vector:
//   behind = Σ over authors max(0, its seq − our seq)   (events it has, we lack)
//   ahead  = Σ over authors max(0, our seq − its seq)   (events we have, it lacks)
//   lag    = behind + ahead; 0 means in sync as of its report; null if no report yet.
// Reports go stale between rounds (one antiEntropyIntervalMs, 1 s by default),
// so a lag right after a publish can read 1 until the next round.

import { equalBytes } from '../../protocol/bytes.js'
import type { SyncMessage, VersionVectorEntries } from '../../protocol/messages.js'
import type { PeerLag } from './types.js'

/** Peers tracked at once; beyond, the oldest report is dropped (members are few). */
const MAX_TRACKED_PEERS = 4096

export interface PeerLagComponents {
  ourDigest: () => Uint8Array
  ourVv: () => VersionVectorEntries
}

export class PeerLagTracker {
  private readonly components: PeerLagComponents
  private readonly reports = new Map<string, Map<string, number>>()

  constructor (components: PeerLagComponents) {
    this.components = components
  }

  /** Call with every message received, before the core sees it. */
  note (from: string, message: SyncMessage): void {
    if (message.type === 'vv') {
      this.set(from, new Map(message.vv))
    } else if (message.type === 'digest' && equalBytes(message.digest, this.components.ourDigest())) {
      this.set(from, new Map(this.components.ourVv()))
    } else if ((message.type === 'events' || message.type === 'push') && this.reports.has(from)) {
      const vv = this.reports.get(from) as Map<string, number>
      for (const e of message.events) if ((vv.get(e.author) ?? 0) < e.seq) vv.set(e.author, e.seq)
    }
  }

  forget (peer: string): void {
    this.reports.delete(peer)
  }

  lagOf (peer: string): PeerLag {
    const theirs = this.reports.get(peer)
    if (theirs === undefined) return { peerId: peer, lag: null, behind: null, ahead: null }
    const ours = new Map(this.components.ourVv())
    let behind = 0
    let ahead = 0
    for (const [author, seq] of theirs) behind += Math.max(0, seq - (ours.get(author) ?? 0))
    for (const [author, seq] of ours) ahead += Math.max(0, seq - (theirs.get(author) ?? 0))
    return { peerId: peer, lag: behind + ahead, behind, ahead }
  }

  private set (peer: string, vv: Map<string, number>): void {
    this.reports.delete(peer)
    if (this.reports.size >= MAX_TRACKED_PEERS) this.reports.delete(this.reports.keys().next().value as string)
    this.reports.set(peer, vv)
  }
}
