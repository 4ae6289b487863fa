// Blob traffic per peer, both ways, as the status page shows it: bytes of chunks received from a
// peer and sent to it since the daemon started, and how many of its blob streams are being served
// chunks now. Cumulative counters only: a reader derives rates from two readings (the page does, per
// poll), so nothing here keeps time. Bounded by MAX_TRAFFIC_PEERS.

import { MAX_TRAFFIC_PEERS } from './constants.js'

export interface PeerTraffic {
  /** Bytes of chunks received from it (duplicates and bad chunks included: what crossed the wire). */
  bytesIn: number
  /** Bytes of chunks sent to it. */
  bytesOut: number
  /** Its blob streams that asked for chunks and are still open: transfers in flight from this node to it. */
  serving: number
}

export class TrafficLedger {
  private readonly peers = new Map<string, PeerTraffic>()

  received (peer: string, bytes: number): void {
    const t = this.row(peer)
    if (t !== undefined) t.bytesIn += bytes
  }

  sent (peer: string, bytes: number): void {
    const t = this.row(peer)
    if (t !== undefined) t.bytesOut += bytes
  }

  servingStarted (peer: string): void {
    const t = this.row(peer)
    if (t !== undefined) t.serving++
  }

  servingEnded (peer: string): void {
    const t = this.peers.get(peer)
    if (t !== undefined && t.serving > 0) t.serving--
  }

  of (peer: string): PeerTraffic {
    const t = this.peers.get(peer)
    return t === undefined ? { bytesIn: 0, bytesOut: 0, serving: 0 } : { ...t }
  }

  private row (peer: string): PeerTraffic | undefined {
    let t = this.peers.get(peer)
    if (t === undefined && this.peers.size < MAX_TRAFFIC_PEERS) {
      t = { bytesIn: 0, bytesOut: 0, serving: 0 }
      this.peers.set(peer, t)
    }
    return t
  }
}
