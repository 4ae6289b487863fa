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
}

export class ImagelessDisk implements NodeDisk {
  /** Numbers of the batches written and not yet durable, ascending. */
  private pending: number[] = []
  private durableThrough_ = 0

  write (batch: PersistBatch): void {
    this.pending.push(batch.n)
  }

  flushThrough (n: number): number {
    let i = 0
    while (i < this.pending.length && (this.pending[i] as number) <= n) this.durableThrough_ = this.pending[i++] as number
    if (i > 0) this.pending = this.pending.slice(i)
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
}
