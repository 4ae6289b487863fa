// What the workload did and what the federation made of it: one record per
// issued write (its stamp, when it was issued, when it became durable at its
// author = acknowledged), and, per write, the set of nodes at which it — or a
// newer version of its key — has become visible. From these come the write →
// visible-everywhere latencies and the checkers' view of what must survive.
//
// Visibility is tracked per key over the writes still "open" (not yet seen by
// everyone who was a member when they were issued), so the cost of a state
// change is the number of open writes on that key, not the whole history.

import type { Stamp } from '../protocol/hlc.js'
import { compareVersion, type Versioned } from './version.js'

export interface WriteRecord {
  /** Position in issue order. */
  index: number
  /** Index of the node it was issued at. */
  node: number
  author: string
  seq: number
  /** The event's id (its sha-256), the last tie-breaker of the version order. */
  id: Uint8Array
  key: string
  kind: 'put' | 'delete'
  /** A conditional delete (ifVersion: retention's): it promises nothing, as it may count for nothing. */
  conditional: boolean
  stamp: Stamp
  /** Number(stamp): orders as the stamp does where two differ (compared first, the bigint only on a tie). */
  stampNumber: number
  issuedAtMs: number
  /** Set when the batch holding it became durable at its author. */
  ackedAtMs?: number
  /** The author crashed before it was durable: never acknowledged, never a loss. */
  lostInCrash: boolean
  /** Members (node indexes below this, and not departed) when it was issued. */
  audienceBelow: number
  audience: number
  /** Where its node bitset starts in the history's shared bitset (byte offset), or -1 when not tracked. */
  seenOffset: number
  seenCount: number
  lastSeenAtMs: number
  /** Seen by its whole audience. */
  complete: boolean
  /** Visibility is tracked for this write (all writes, or a deterministic sample in very large runs). */
  tracked: boolean
}

/** A key's visibility state. */
interface KeyTrack {
  /** Writes not yet seen everywhere, ascending by version. */
  open: WriteRecord[]
  /** Their stampNumbers, in the same order: observe's usual last step, "the next open write is above v", reads no record. */
  stamps: number[]
  /**
   * Bumped whenever `open` changes other than by a write appended above
   * every version issued on its key, or by writes dropped from its front.
   */
  gen: number
  /** Writes dropped from the front of `open` so far. */
  dropped: number
  /** node → the highest version it has held (every open write at or below it is marked seen there). */
  marks: Array<Versioned | undefined>
  /**
   * Per node, three numbers side by side (one cache line where three arrays
   * were three misses): [3n] where in `open` the writes above its mark begin,
   * plus `dropped`, as of generation [3n + 1] — while the generation holds,
   * the next observe there starts from it instead of searching for the mark
   * again (a write appended above everything ever issued is above every mark;
   * one dropped from the front moves every position down by one); and
   * [3n + 2] the mark's stamp as a number (see observe).
   */
  at: Float64Array
}

export class History {
  readonly writes: WriteRecord[] = []
  /** key → its open writes and the nodes' marks (per key rather than per node: one array read, not a map per node). */
  private readonly tracks = new Map<string, KeyTrack>()
  /**
   * Every tracked write's node bitset, end to end (bitsetBytes each): one
   * small array that stays in the cache, where a bitset object per write
   * missed it on each mark.
   */
  private seen = new Uint8Array(1024)
  private seenUsed = 0
  private readonly byRef = new Map<string, WriteRecord>()
  /** key → the highest version ever issued on it. */
  private readonly topIssued = new Map<string, Versioned>()
  private readonly bitsetBytes: number
  private ackedCount = 0
  private ackedComplete = 0

  private readonly trackEvery: number

  /**
   * `maxNodes`: the most node indexes a run can have (initial nodes plus joins).
   * `trackEvery`: follow the visibility of every n-th write only — marking a
   * write at each node is O(writes × nodes), which dominates a 1000-node run.
   */
  constructor (maxNodes: number, trackEvery = 1) {
    this.bitsetBytes = Math.ceil(maxNodes / 8)
    this.trackEvery = Math.max(1, Math.floor(trackEvery))
  }

  /**
   * Records a write just issued. The caller then marks it seen (markSeen) at
   * every node already holding it or a newer version of its key — its author,
   * and any node where a concurrent newer write has landed — since no future
   * state change there will mention it.
   */
  issue (w: Omit<WriteRecord, 'index' | 'conditional' | 'stampNumber' | 'ackedAtMs' | 'lostInCrash' | 'seenOffset' | 'seenCount' | 'lastSeenAtMs' | 'complete' | 'tracked'> & { conditional?: boolean }): WriteRecord {
    const index = this.writes.length
    const tracked = index % this.trackEvery === 0
    const record: WriteRecord = {
      ...w,
      conditional: w.conditional === true,
      index,
      stampNumber: Number(w.stamp),
      lostInCrash: false,
      seenOffset: tracked ? this.allocateBitset() : -1,
      seenCount: 0,
      lastSeenAtMs: w.issuedAtMs,
      complete: false,
      tracked
    }
    this.writes.push(record)
    this.byRef.set(`${w.author}:${w.seq}`, record)
    if (!tracked) return record
    let track = this.tracks.get(w.key)
    if (track === undefined) { track = { open: [], stamps: [], gen: 0, dropped: 0, marks: [], at: new Float64Array(0) }; this.tracks.set(w.key, track) }
    const at = upperBound(track.open, record)
    track.open.splice(at, 0, record)
    track.stamps.splice(at, 0, record.stampNumber)
    if (at < track.open.length - 1 || !this.isTop(w.key, record)) track.gen++
    return record
  }

  private allocateBitset (): number {
    const at = this.seenUsed
    this.seenUsed += this.bitsetBytes
    if (this.seenUsed > this.seen.length) {
      const grown = new Uint8Array(Math.max(2 * this.seen.length, this.seenUsed))
      grown.set(this.seen)
      this.seen = grown
    }
    return at
  }

  /**
   * Notes `v`, about to be issued on `key`. Returns true when it is above
   * every version issued on that key before. Every event a replica holds was
   * issued through the history, so then no node but its author can hold it
   * or a newer version of its key.
   */
  raiseTop (key: string, v: Versioned): boolean {
    const top = this.topIssued.get(key)
    if (top !== undefined && compareVersion(v, top) <= 0) return false
    this.topIssued.set(key, v)
    return true
  }

  /** Is `v` the highest version issued on `key` (raiseTop took it)? */
  private isTop (key: string, v: Versioned): boolean {
    const top = this.topIssued.get(key)
    return top !== undefined && top.stamp === v.stamp && top.author === v.author && top.id === v.id
  }

  find (author: string, seq: number): WriteRecord | undefined {
    return this.byRef.get(`${author}:${seq}`)
  }

  ack (record: WriteRecord, atMs: number): void {
    if (record.ackedAtMs !== undefined) return
    record.ackedAtMs = atMs
    if (!record.tracked) return
    this.ackedCount++
    if (record.complete) this.ackedComplete++
  }

  /** How many writes' visibility is followed (the latency figures' sample size). */
  trackedCount (): number {
    return Math.ceil(this.writes.length / this.trackEvery)
  }

  /** Acknowledged writes not yet seen by every member: the replication backlog (of the tracked sample). */
  backlog (): number {
    return this.ackedCount - this.ackedComplete
  }

  /** The author crashed before the write was durable: it never happened. */
  lose (record: WriteRecord): void {
    record.lostInCrash = true
    const track = this.tracks.get(record.key)
    if (track !== undefined) {
      const list = track.open
      track.open = list.filter(r => r !== record)
      this.dropFront(track, list)
    }
  }

  /**
   * Node `node` now holds version `v` of `key`: every open write of that key
   * at or below v is visible there. A node's winner only grows, so only the
   * writes between its previous mark and v need looking at. Writes issued
   * below an existing mark were marked at issue time (see issue).
   */
  observe (node: number, key: string, v: Versioned, atMs: number): void {
    const track = this.tracks.get(key)
    if (track === undefined) return
    const list = track.open
    if (list.length === 0) return
    const marks = track.marks
    while (marks.length <= node) marks.push(undefined)
    let at = track.at
    if (at.length < 3 * (node + 1)) at = grow(track, node)
    const n3 = 3 * node
    // The mark may be stale (not updated while the key had no open writes); that
    // only means looking at a few writes twice — the bitset keeps counts exact.
    const prev = marks[node]
    // Stamps as numbers order as the stamps do wherever the numbers differ (rounding to
    // a double is monotonic): the versions themselves are compared only on a tie.
    const vn = Number(v.stamp)
    if (prev !== undefined) {
      const pn = at[n3 + 2] as number
      if (vn < pn || (vn === pn && compareVersion(v, prev) <= 0)) return
    }
    marks[node] = v
    at[n3 + 2] = vn
    let i = prev === undefined ? 0 : at[n3 + 1] === track.gen ? Math.max(0, (at[n3] as number) - track.dropped) : upperBound(list, prev)
    let completed = false
    const stamps = track.stamps
    for (; i < list.length; i++) {
      const sn = stamps[i] as number
      if (sn > vn) break
      const w = list[i] as WriteRecord
      if (sn === vn && compareVersion(w, v) > 0) break
      if (this.markSeen(w, node, atMs)) completed = true
    }
    // i is now the first write above v (the new mark).
    at[n3] = i + track.dropped
    at[n3 + 1] = track.gen
    if (completed) {
      track.open = list.filter(r => !r.complete)
      this.dropFront(track, list)
    }
  }

  /** `track.open` was `before` less some writes: positions stay valid if those were a prefix of it. */
  private dropFront (track: KeyTrack, before: WriteRecord[]): void {
    const now = track.open
    const m = before.length - now.length
    if (m === 0) return
    track.stamps = now.map(r => r.stampNumber)
    if (now.length === 0 || now[0] === before[m]) track.dropped += m
    else track.gen++
  }

  /** Marks `w` seen at `node`; returns true when that completed it. */
  markSeen (w: WriteRecord, node: number, atMs: number): boolean {
    const byte = node >> 3
    const bit = 1 << (node & 7)
    if (w.seenOffset < 0 || byte >= this.bitsetBytes) return false
    const seen = this.seen
    const at = w.seenOffset + byte
    if (((seen[at] as number) & bit) !== 0) return false
    seen[at] = (seen[at] as number) | bit
    w.seenCount++
    w.lastSeenAtMs = atMs
    if (w.seenCount >= w.audience && !w.complete) {
      w.complete = true
      if (w.ackedAtMs !== undefined) this.ackedComplete++
    }
    return w.complete
  }

  seenAt (w: WriteRecord, node: number): boolean {
    const byte = node >> 3
    return w.seenOffset >= 0 && byte < this.bitsetBytes && ((this.seen[w.seenOffset + byte] as number) & (1 << (node & 7))) !== 0
  }

  acknowledged (): WriteRecord[] {
    return this.writes.filter(w => w.ackedAtMs !== undefined)
  }

  /**
   * Write → visible-on-every-live-node latency of each acknowledged write, in
   * issue order. A write counts as visible everywhere when every node live at
   * the end that was a member when it was issued has seen it (or a newer
   * version). Writes never seen everywhere come back as undefined.
   */
  latencies (liveAtEnd: number[]): Array<number | undefined> {
    return this.acknowledged().filter(w => w.tracked).map(w => {
      if (w.complete) return w.lastSeenAtMs - w.issuedAtMs
      for (const n of liveAtEnd) if (n < w.audienceBelow && !this.seenAt(w, n)) return undefined
      return w.lastSeenAtMs - w.issuedAtMs
    })
  }
}

/** Room in `track.at` for node indexes up to `node` (a new node has no position: generation -1). */
function grow (track: KeyTrack, node: number): Float64Array {
  const at = new Float64Array(Math.max(3 * (node + 1), 2 * track.at.length))
  at.set(track.at)
  for (let k = track.at.length; k < at.length; k += 3) at[k + 1] = -1
  track.at = at
  return at
}

/** First index in `list` (ascending by version) whose version is above `v`. */
function upperBound (list: WriteRecord[], v: Versioned): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareVersion(list[mid] as WriteRecord, v) <= 0) lo = mid + 1
    else hi = mid
  }
  return lo
}
