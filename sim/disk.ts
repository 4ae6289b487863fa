// A node's virtual disk. persist() queues a batch; the node's fsync timer makes
// batches durable in order. A crash throws away whatever is not yet durable,
// exactly as a real disk without a completed fsync would. The durable image is
// what a restarted replica loads: the winning events, the version vector and
// the HLC high-water mark.

import type { Event } from '../protocol/event.js'
import type { Stamp } from '../protocol/hlc.js'
import type { PersistBatch, ReplicaSnapshot } from '../protocol/replica-api.js'

export class VirtualDisk {
  /** author → seq → event: no string keys, so a million puts allocate nothing but map slots. */
  private readonly events = new Map<string, Map<number, Event>>()
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
    for (const byseq of this.events.values()) for (const e of byseq.values()) events.push(e)
    return { events, vv: [...this.vv.entries()], highWater: this.highWater }
  }

  eventCount (): number {
    let n = 0
    for (const byseq of this.events.values()) n += byseq.size
    return n
  }

  private apply (batch: PersistBatch): void {
    for (const e of batch.put) {
      let byseq = this.events.get(e.author)
      if (byseq === undefined) { byseq = new Map(); this.events.set(e.author, byseq) }
      byseq.set(e.seq, e)
    }
    for (const r of batch.remove) this.events.get(r.author)?.delete(r.seq)
    for (const [author, seq] of batch.vv) this.vv.set(author, seq)
    if (batch.highWater > this.highWater) this.highWater = batch.highWater
    this.durableThrough_ = batch.n
  }
}
