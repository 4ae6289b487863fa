// A node's virtual disk. persist() queues a batch; the node's fsync timer makes
// batches durable in order. A crash throws away whatever is not yet durable,
// exactly as a real disk without a completed fsync would. The durable image is
// what a restarted replica loads: the winning events, the version vector and
// the HLC high-water mark.

import type { Event } from '../protocol/event.js'
import type { Stamp } from '../protocol/hlc.js'
import type { PersistBatch, ReplicaSnapshot } from '../protocol/replica-api.js'

export class VirtualDisk {
  /**
   * key → the version of that key held, or the versions when there are
   * several (a federation retains them; arrays always hold two or more).
   * Keyed by the event's own key string, whose hash is cached on the shared
   * string. Map order is the order snapshot() gives events in, so keys keep
   * their place exactly as they would under "put, then remove".
   */
  private readonly events = new Map<string, Event | Event[] | typeof GONE>()
  private readonly vv = new Map<string, number>()
  private highWater: Stamp = 0n
  private pending: PersistBatch[] = []
  private durableThrough_ = 0

  /** Queues a batch; it is not durable until flushThrough covers it. */
  write (batch: PersistBatch): void {
    this.pending.push(batch)
  }

  /** Makes every pending batch numbered ≤ n durable, in order. Returns the highest batch now durable. */
  flushThrough (n: number): number {
    let i = 0
    while (i < this.pending.length && (this.pending[i] as PersistBatch).n <= n) {
      this.apply(this.pending[i] as PersistBatch)
      i++
    }
    if (i > 0) this.pending = this.pending.slice(i)
    return this.durableThrough_
  }

  /** A crash: batches not yet durable are gone. Returns how many were lost. */
  crash (): number {
    const lost = this.pending.length
    this.pending = []
    return lost
  }

  durableThrough (): number {
    return this.durableThrough_
  }

  pendingCount (): number {
    return this.pending.length
  }

  /** The highest sequence number of `author` that is durably covered. */
  durableSeq (author: string): number {
    return this.vv.get(author) ?? 0
  }

  snapshot (): ReplicaSnapshot {
    const events: Event[] = []
    for (const v of this.events.values()) {
      if (Array.isArray(v)) for (const e of v) events.push(e)
      else if (v !== GONE) events.push(v)
    }
    return { events, vv: [...this.vv.entries()], highWater: this.highWater }
  }

  eventCount (): number {
    let n = 0
    for (const v of this.events.values()) n += Array.isArray(v) ? v.length : v === GONE ? 0 : 1
    return n
  }

  /**
   * The image after "store every put, then delete every remove" — done the
   * other way round, so that the usual batch (a key's new winner put, its old
   * one removed) reads the old event once and never grows the key to two
   * versions. A key a remove empties keeps its place (GONE) until the puts
   * are in; a put that a remove of the same batch names is skipped, as the
   * remove would have deleted it (though a key it creates still takes its
   * place). test/sim/disk.test.ts holds this against the plain order.
   */
  private apply (batch: PersistBatch): void {
    const map = this.events
    const remove = batch.remove
    let emptied: string[] | undefined
    for (const r of remove) {
      const v = map.get(r.key)
      if (v === undefined || v === GONE) continue
      if (Array.isArray(v)) {
        const i = indexOf(v, r.author, r.seq)
        if (i < 0) continue
        if (v.length === 2) map.set(r.key, v[1 - i] as Event)
        else v.splice(i, 1)
      } else if (v.seq === r.seq && v.author === r.author) {
        map.set(r.key, GONE)
        if (emptied === undefined) emptied = []
        emptied.push(r.key)
      }
    }
    const removed = remove.length === 0 ? undefined : remove.length <= SCAN_MAX ? remove : removeSet(remove)
    for (const e of batch.put) {
      const key = e.body.key
      const v = map.get(key)
      if (removed !== undefined && namedIn(removed, key, e.author, e.seq)) {
        // Put then removed: it leaves nothing, but a key it would have created keeps the place it took.
        if (v === undefined) {
          map.set(key, GONE)
          if (emptied === undefined) emptied = []
          emptied.push(key)
        }
        continue
      }
      if (v === undefined || v === GONE) map.set(key, e)
      else if (Array.isArray(v)) {
        const i = indexOf(v, e.author, e.seq)
        if (i < 0) v.push(e)
        else v[i] = e
      } else if (v.seq === e.seq && v.author === e.author) map.set(key, e)
      else map.set(key, [v, e])
    }
    if (emptied !== undefined) for (const key of emptied) if (map.get(key) === GONE) map.delete(key)
    for (const [author, seq] of batch.vv) this.vv.set(author, seq)
    if (batch.highWater > this.highWater) this.highWater = batch.highWater
    this.durableThrough_ = batch.n
  }
}

/** Marks, within apply, a key whose last version a remove took: it keeps its map position while the puts go in. */
const GONE = null

/** Up to this many removes in a batch, a put looks for itself among them by scanning; beyond, through a set. */
const SCAN_MAX = 8

type Removes = PersistBatch['remove'] | Set<string>

function removeSet (remove: PersistBatch['remove']): Set<string> {
  const set = new Set<string>()
  for (const r of remove) set.add(refKey(r.key, r.author, r.seq))
  return set
}

/** One string per (key, author, seq), unambiguous whatever characters the author and key hold. */
function refKey (key: string, author: string, seq: number): string {
  return `${seq}:${author.length}:${author}${key}`
}

/** Does a remove of the batch name this version? */
function namedIn (removed: Removes, key: string, author: string, seq: number): boolean {
  if (removed instanceof Set) return removed.has(refKey(key, author, seq))
  for (const r of removed) if (r.seq === seq && r.author === author && r.key === key) return true
  return false
}

function indexOf (versions: Event[], author: string, seq: number): number {
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i] as Event
    if (v.seq === seq && v.author === author) return i
  }
  return -1
}
