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
   * key → the versions of that key held (almost always one). Keyed by the
   * event's own key string, whose hash is cached on the shared string, so a
   * put or a remove is one map lookup and no allocation.
   */
  private readonly events = new Map<string, Event[]>()
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
    for (const versions of this.events.values()) for (const e of versions) events.push(e)
    return { events, vv: [...this.vv.entries()], highWater: this.highWater }
  }

  eventCount (): number {
    let n = 0
    for (const versions of this.events.values()) n += versions.length
    return n
  }

  private apply (batch: PersistBatch): void {
    for (const e of batch.put) {
      const key = e.body.key
      const versions = this.events.get(key)
      if (versions === undefined) this.events.set(key, [e])
      else {
        const i = indexOf(versions, e.author, e.seq)
        if (i < 0) versions.push(e)
        else versions[i] = e
      }
    }
    for (const r of batch.remove) {
      const versions = this.events.get(r.key)
      if (versions === undefined) continue
      const i = indexOf(versions, r.author, r.seq)
      if (i < 0) continue
      if (versions.length === 1) this.events.delete(r.key)
      else versions.splice(i, 1)
    }
    for (const [author, seq] of batch.vv) this.vv.set(author, seq)
    if (batch.highWater > this.highWater) this.highWater = batch.highWater
    this.durableThrough_ = batch.n
  }
}

function indexOf (versions: Event[], author: string, seq: number): number {
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i] as Event
    if (v.seq === seq && v.author === author) return i
  }
  return -1
}
