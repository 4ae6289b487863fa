// This author's place in its own numbered, hash-chained sequence of events
// (chain.ts), shared by the replica's parts: write() numbers and links the
// next event from it, the ingest path raises it on meeting an event of ours
// it had forgotten, and what peers are told — our served coverage, our signed
// ack row — stops at the durable part. Own events leave this node only once
// durable, so a crash can never make this author reuse a sequence number
// others have seen.

import type { Event } from './event.js'

export class OwnSequence {
  /** The last seq this author used (written here, or met again after a loss of local state). */
  seq: number
  /** Id of our own event `seq`, when we have it: the next write's `prev` (the hash chain, chain.ts). */
  head: Uint8Array | undefined
  /** Our highest seq on disk: as far as we serve our own events or vouch for them. */
  durableSeq: number
  /** The HLC high-water mark of the last durable batch: what our signed ack pins (acks.ts). */
  durableHighWater: bigint

  constructor (seq: number, head: Uint8Array | undefined, durableHighWater: bigint) {
    this.seq = seq
    this.head = head
    this.durableSeq = seq
    this.durableHighWater = durableHighWater
  }

  /** A local write took the next number. */
  wrote (e: Event): void {
    this.seq = e.seq
    this.head = e.id
  }

  /** An event of ours came back from a peer. */
  met (e: Event): void {
    if (e.seq > this.seq) {
      // Our own event from before a loss of local state: never reuse its number.
      this.seq = e.seq
      this.head = e.id
      this.durableSeq = Math.max(this.durableSeq, e.seq)
    }
  }

  /** A batch stamped up to `highWater` is on disk. */
  durableThrough (highWater: bigint): void {
    if (highWater > this.durableHighWater) this.durableHighWater = highWater
  }

  /** Our event `seq` is on disk. */
  durable (seq: number): void {
    this.durableSeq = Math.max(this.durableSeq, seq)
  }
}
