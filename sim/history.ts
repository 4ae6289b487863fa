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
  stamp: Stamp
  issuedAtMs: number
  /** Set when the batch holding it became durable at its author. */
  ackedAtMs?: number
  /** The author crashed before it was durable: never acknowledged, never a loss. */
  lostInCrash: boolean
  /** Members (node indexes below this, and not departed) when it was issued. */
  audienceBelow: number
  audience: number
  seen: Uint8Array
  seenCount: number
  lastSeenAtMs: number
  /** Seen by its whole audience. */
  complete: boolean
  /** Visibility is tracked for this write (all writes, or a deterministic sample in very large runs). */
  tracked: boolean
}

export class History {
  readonly writes: WriteRecord[] = []
  /** key → writes not yet seen everywhere, ascending by version. */
  private readonly open = new Map<string, WriteRecord[]>()
  /** Per node: key → the highest version it has held (every open write at or below it is marked seen there). */
  private readonly marks: Array<Map<string, Versioned>> = []
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
  issue (w: Omit<WriteRecord, 'index' | 'ackedAtMs' | 'lostInCrash' | 'seen' | 'seenCount' | 'lastSeenAtMs' | 'complete' | 'tracked'>): WriteRecord {
    const index = this.writes.length
    const tracked = index % this.trackEvery === 0
    const record: WriteRecord = {
      ...w,
      index,
      lostInCrash: false,
      seen: tracked ? new Uint8Array(this.bitsetBytes) : EMPTY,
      seenCount: 0,
      lastSeenAtMs: w.issuedAtMs,
      complete: false,
      tracked
    }
    this.writes.push(record)
    this.byRef.set(`${w.author}:${w.seq}`, record)
    if (!tracked) return record
    let list = this.open.get(w.key)
    if (list === undefined) { list = []; this.open.set(w.key, list) }
    list.splice(upperBound(list, record), 0, record)
    return record
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
    const list = this.open.get(record.key)
    if (list !== undefined) this.open.set(record.key, list.filter(r => r !== record))
  }

  /**
   * Node `node` now holds version `v` of `key`: every open write of that key
   * at or below v is visible there. A node's winner only grows, so only the
   * writes between its previous mark and v need looking at. Writes issued
   * below an existing mark were marked at issue time (see issue).
   */
  observe (node: number, key: string, v: Versioned, atMs: number): void {
    const list = this.open.get(key)
    if (list === undefined || list.length === 0) return
    let marks = this.marks[node]
    if (marks === undefined) {
      while (this.marks.length <= node) this.marks.push(new Map())
      marks = this.marks[node] as Map<string, Versioned>
    }
    // The mark may be stale (not updated while the key had no open writes); that
    // only means looking at a few writes twice — the bitset keeps counts exact.
    const prev = marks.get(key)
    if (prev !== undefined && compareVersion(v, prev) <= 0) return
    marks.set(key, v)
    let completed = false
    for (let i = prev === undefined ? 0 : upperBound(list, prev); i < list.length; i++) {
      const w = list[i] as WriteRecord
      if (compareVersion(w, v) > 0) break
      if (this.markSeen(w, node, atMs)) completed = true
    }
    if (completed) this.open.set(key, list.filter(r => !r.complete))
  }

  /** Marks `w` seen at `node`; returns true when that completed it. */
  markSeen (w: WriteRecord, node: number, atMs: number): boolean {
    const byte = node >> 3
    const bit = 1 << (node & 7)
    if (byte >= w.seen.length || ((w.seen[byte] as number) & bit) !== 0) return false
    w.seen[byte] = (w.seen[byte] as number) | bit
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
    return byte < w.seen.length && ((w.seen[byte] as number) & (1 << (node & 7))) !== 0
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

const EMPTY = new Uint8Array(0)

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
