// What this node knows about each member's sync state, for `status`, `where`,
// the metrics and the status page. Fed with every received message before the
// core sees it (like PeerLagTracker, which it extends rather than changes):
//
// Coverage (a version vector per member): from the member itself (its `vv`
// messages; a `digest` equal to ours means it covers exactly our vv; events it
// sends raise it) — "direct" — or relayed by others in the tombstone `acks`
// table (each member's vv as it last reported it) — "relayed". Version vectors
// only grow, so both merge by per-author maximum. This is the compact
// per-member summary `where` reads: O(authors) per member, never O(blobs).
//
// Lag in time: we keep a short history of our own coverage (when we first
// held what); a peer's lag in time is how long we have held the oldest event
// it still lacks (0 when it covers everything we have).
//
// Clock offset: a `push` carrying an event authored by the sender itself is
// fresh (pushed as soon as it was durable), so wall(stamp) − our receive time
// is the sender's clock offset minus the (positive) delivery delay. The
// estimate is the maximum of the last OFFSET_SAMPLES such samples. No sample
// until the peer has written something while connected to us: null then.

import { equalBytes } from '../../protocol/bytes.js'
import type { SyncMessage, VersionVectorEntries } from '../../protocol/messages.js'
import { wallOf } from '../../protocol/hlc.js'
import { MAX_TRACKED_PEERS, OFFSET_SAMPLES } from './limits.js'

export type ReportSource = 'direct' | 'relayed'

interface PeerRecord {
  vv: Map<string, number>
  source: ReportSource
  reportAtMs: number
}

/** Our coverage history: at most this many points, one per HISTORY_STEP_MS. */
const HISTORY_POINTS = 512
const HISTORY_STEP_MS = 100

export interface SyncTrackerComponents {
  selfId: string
  ourVv: () => VersionVectorEntries
  ourDigest: () => Uint8Array
  nowMs: () => number
}

export class SyncTracker {
  private readonly c: SyncTrackerComponents
  private readonly peers = new Map<string, PeerRecord>()
  private readonly offsets = new Map<string, number[]>()
  /** (atMs, our max seq per author then), oldest first. */
  private readonly history: Array<{ atMs: number, vv: Map<string, number> }> = []
  private readonly ours = new Map<string, number>()

  constructor (components: SyncTrackerComponents) {
    this.c = components
    for (const [author, seq] of components.ourVv()) this.ours.set(author, seq)
    this.history.push({ atMs: components.nowMs(), vv: new Map(this.ours) })
  }

  /** Observer hook: an event (author, seq) is now held here. */
  held (author: string, seq: number): void {
    if ((this.ours.get(author) ?? 0) >= seq) return
    this.ours.set(author, seq)
    const now = this.c.nowMs()
    const last = this.history[this.history.length - 1]
    if (last !== undefined && now - last.atMs < HISTORY_STEP_MS) last.vv.set(author, seq)
    else {
      this.history.push({ atMs: now, vv: new Map(this.ours) })
      if (this.history.length > HISTORY_POINTS) this.history.shift()
    }
  }

  /** Call with every received message, before the core sees it. */
  note (from: string, message: SyncMessage): void {
    const now = this.c.nowMs()
    switch (message.type) {
      case 'vv': this.raise(from, message.vv, 'direct', now); break
      case 'digest':
        if (equalBytes(message.digest, this.c.ourDigest())) this.raise(from, this.c.ourVv(), 'direct', now)
        break
      case 'events': case 'push': {
        const rec = this.peers.get(from)
        if (rec !== undefined) for (const e of message.events) if ((rec.vv.get(e.author) ?? 0) < e.seq) rec.vv.set(e.author, e.seq)
        if (message.type === 'push') {
          for (const e of message.events) if (e.author === from) this.sampleOffset(from, wallOf(e.stamp) - now)
        }
        break
      }
      case 'acks':
        for (const { member, vv } of message.acks) {
          if (member !== this.c.selfId) this.raise(member, vv, member === from ? 'direct' : 'relayed', now)
        }
        break
    }
  }

  /** The member's known coverage, or undefined if nobody has told us. */
  coverage (peer: string): { vv: ReadonlyMap<string, number>, source: ReportSource, reportAtMs: number } | undefined {
    return this.peers.get(peer)
  }

  /** Does the member hold event (author, seq)? undefined = unknown. */
  covers (peer: string, author: string, seq: number): boolean | undefined {
    const rec = this.peers.get(peer)
    if (rec === undefined) return undefined
    return (rec.vv.get(author) ?? 0) >= seq
  }

  lagOf (peer: string): { lag: number, behind: number, ahead: number, lagMs: number } | undefined {
    const rec = this.peers.get(peer)
    if (rec === undefined) return undefined
    // Counts against the core's own vv (exact); the history (this.ours) only dates them.
    const ours = new Map(this.c.ourVv())
    let behind = 0
    let ahead = 0
    for (const [author, seq] of rec.vv) behind += Math.max(0, seq - (ours.get(author) ?? 0))
    for (const [author, seq] of ours) ahead += Math.max(0, seq - (rec.vv.get(author) ?? 0))
    return { lag: behind + ahead, behind, ahead, lagMs: this.lagMsOf(rec.vv) }
  }

  /** Estimated clock offset (their clock − ours, ms), or null without a sample. */
  clockOffsetMs (peer: string): number | null {
    const offsets = this.offsets.get(peer) ?? []
    return offsets.length === 0 ? null : Math.max(...offsets)
  }

  trackedPeers (): string[] { return [...this.peers.keys()] }

  private lagMsOf (theirs: ReadonlyMap<string, number>): number {
    const missing = (vv: Map<string, number>): boolean => {
      for (const [author, seq] of vv) if ((theirs.get(author) ?? 0) < seq) return true
      return false
    }
    // The first point of our history the peer does not cover: we have held something it lacks since then.
    const first = this.history.find(h => missing(h.vv))
    return first === undefined ? 0 : Math.max(0, this.c.nowMs() - first.atMs)
  }

  private record (peer: string, source: ReportSource, now: number): PeerRecord {
    let rec = this.peers.get(peer)
    if (rec === undefined) {
      if (this.peers.size >= MAX_TRACKED_PEERS) this.peers.delete(this.peers.keys().next().value as string)
      rec = { vv: new Map(), source, reportAtMs: now }
      this.peers.set(peer, rec)
    }
    return rec
  }

  private raise (peer: string, vv: VersionVectorEntries, source: ReportSource, now: number): void {
    const rec = this.record(peer, source, now)
    for (const [author, seq] of vv) if ((rec.vv.get(author) ?? 0) < seq) rec.vv.set(author, seq)
    if (source === 'direct' || rec.source === 'relayed') { rec.source = source; rec.reportAtMs = now }
  }

  private sampleOffset (peer: string, offsetMs: number): void {
    let samples = this.offsets.get(peer)
    if (samples === undefined) {
      if (this.offsets.size >= MAX_TRACKED_PEERS) this.offsets.delete(this.offsets.keys().next().value as string)
      samples = []
      this.offsets.set(peer, samples)
    }
    samples.push(offsetMs)
    if (samples.length > OFFSET_SAMPLES) samples.shift()
  }
}
