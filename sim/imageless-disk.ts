// A node's disk in a run that never crashes a node: it keeps the fsync
// bookkeeping (which batch numbers are durable, so acknowledgements and own
// pushes wait for fsync exactly as with VirtualDisk) but no durable image,
// since nothing would ever read one. Folding every batch into a per-node image
// was ~9 % of a 1000-node partition-heal run. The run chooses it only when its
// fault timeline has no crash (run.ts); a crash here is a harness bug.

import type { PersistBatch, ReplicaSnapshot } from '../protocol/replica-api.js'

/** What a SimNode needs of its disk. */
export interface NodeDisk {
  write: (batch: PersistBatch) => void
  flushThrough: (n: number) => number
  crash: () => number
  durableThrough: () => number
  snapshot: () => ReplicaSnapshot
  /** Starts the disk holding an image (the initial membership), as durable. */
  seed: (image: ReplicaSnapshot) => void
}

export class ImagelessDisk implements NodeDisk {
  /** The last batch written: batches are numbered 1, 2, 3… by the replica, so everything up to it is written. */
  private written = 0
  private durableThrough_ = 0

  write (batch: PersistBatch): void {
    this.written = batch.n
  }

  flushThrough (n: number): number {
    this.durableThrough_ = Math.max(this.durableThrough_, Math.min(n, this.written))
    return this.durableThrough_
  }

  durableThrough (): number {
    return this.durableThrough_
  }

  crash (): number {
    throw new Error('assertion failed: a node crashed in a run that keeps no durable images (its timeline had no crash)')
  }

  snapshot (): ReplicaSnapshot {
    throw new Error('assertion failed: a restart in a run that keeps no durable images')
  }

  seed (): void {}
}
