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
}

export class History {
  readonly writes: WriteRecord[] = []
  private readonly open = new Map<string, WriteRecord[]>()
  private readonly highest = new Map<string, Versioned>()
  private readonly byRef = new Map<string, WriteRecord>()
  private readonly bitsetBytes: number

  /** `maxNodes`: the most node indexes a run can have (initial nodes plus joins). */
  constructor (maxNodes: number) {
    this.bitsetBytes = Math.ceil(maxNodes / 8)
  }

  /**
   * Records a write just issued at node `node`. Returns true when some node may
   * already hold a newer version of the key (the caller must then scan nodes
   * with markSeen, since no future state change there will mention this write).
   */
  issue (w: Omit<WriteRecord, 'index' | 'ackedAtMs' | 'lostInCrash' | 'seen' | 'seenCount' | 'lastSeenAtMs' | 'complete'>): { record: WriteRecord, mayBeSuperseded: boolean } {
    const record: WriteRecord = {
      ...w,
      index: this.writes.length,
      lostInCrash: false,
      seen: new Uint8Array(this.bitsetBytes),
      seenCount: 0,
      lastSeenAtMs: w.issuedAtMs,
      complete: false
    }
    this.writes.push(record)
    this.byRef.set(`${w.author}:${w.seq}`, record)
    let list = this.open.get(w.key)
    if (list === undefined) { list = []; this.open.set(w.key, list) }
    list.push(record)
    const top = this.highest.get(w.key)
    const mayBeSuperseded = top !== undefined && compareVersion(top, w) > 0
    if (!mayBeSuperseded) this.highest.set(w.key, w)
    return { record, mayBeSuperseded }
  }

  find (author: string, seq: number): WriteRecord | undefined {
    return this.byRef.get(`${author}:${seq}`)
  }

  ack (record: WriteRecord, atMs: number): void {
    if (record.ackedAtMs === undefined) record.ackedAtMs = atMs
  }

  /** The author crashed before the write was durable: it never happened. */
  lose (record: WriteRecord): void {
    record.lostInCrash = true
    const list = this.open.get(record.key)
    if (list !== undefined) this.open.set(record.key, list.filter(r => r !== record))
  }

  /** Node `node` now holds version `v` of `key`: every open write of that key at or below v is visible there. */
  observe (node: number, key: string, v: Versioned, atMs: number): void {
    const top = this.highest.get(key)
    if (top === undefined || compareVersion(v, top) > 0) this.highest.set(key, v)
    const list = this.open.get(key)
    if (list === undefined) return
    let completed = false
    for (const w of list) {
      if (compareVersion(w, v) <= 0 && this.markSeen(w, node, atMs)) completed = true
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
    if (w.seenCount >= w.audience) w.complete = true
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
    return this.acknowledged().map(w => {
      if (w.complete) return w.lastSeenAtMs - w.issuedAtMs
      for (const n of liveAtEnd) if (n < w.audienceBelow && !this.seenAt(w, n)) return undefined
      return w.lastSeenAtMs - w.issuedAtMs
    })
  }
}
