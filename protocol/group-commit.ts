// Group commit between a core and its store, the same for every driver: the
// core hands over persist batches one by one (synchronously, inside write() or
// receive()); one commit is in flight at a time, and when it ends the next
// covers every batch that piled up meanwhile (up to maxEventsPerCommit
// events), so a busy node costs one store write per commit, not one per batch.
// The daemon's store is LevelDB (an atomic batch with sync); the simulator's is
// its virtual disk (an fsync some virtual milliseconds long). Neither waits
// here: a commit reports back through a callback.
//
// If a commit fails the store can promise nothing more: nothing is committed
// after it, and the owner is told once.

import type { PersistBatch } from './replica-api.js'

/** Where a core's batches become durable (protocol/driver.ts hands them over). */
export interface ReplicaStore {
  /** Sees each batch as the core persists it, before its commit (the simulator's disk queues it unsynced, as a page cache would). */
  stage?(batch: PersistBatch): void
  /** Makes `batches` (consecutive, in order) durable, atomically; then calls done(), or done(err) if they never will be. */
  commit(batches: PersistBatch[], done: (err?: Error) => void): void
}

export interface GroupCommitInit {
  /** Events (puts and removals) per commit at most; a batch larger than that goes alone. Default: no bound. */
  maxEventsPerCommit?: number
}

export interface GroupCommitComponents {
  store: ReplicaStore
  /** Batch n and every one before it are durable. */
  durable: (n: number) => void
  /** A commit failed (once). */
  failed: (err: Error) => void
}

export class GroupCommit {
  private readonly c: GroupCommitComponents
  private readonly maxEvents: number
  private pending: PersistBatch[] = []
  private inFlight = false
  private lastN = 0
  private durableN = 0
  private backlogN = 0
  private failure: Error | undefined

  constructor (init: GroupCommitInit, components: GroupCommitComponents) {
    this.maxEvents = init.maxEventsPerCommit ?? Infinity
    this.c = components
  }

  /** The newest batch handed over (0 before the first). */
  get lastBatch (): number { return this.lastN }

  /** The newest batch durable. */
  get durable (): number { return this.durableN }

  /** Events and removals handed over and not yet durable (for receive-side backpressure). */
  get backlog (): number { return this.backlogN }

  /** The failure that stopped commits, if one did. */
  get failed (): Error | undefined { return this.failure }

  /** The core's persist port. Never throws into the core. */
  persist (batch: PersistBatch): void {
    this.lastN = batch.n
    if (this.failure !== undefined) return
    this.c.store.stage?.(batch)
    this.pending.push(batch)
    this.backlogN += sizeOf(batch)
    if (!this.inFlight) this.commitNext()
  }

  private commitNext (): void {
    const take = takeBounded(this.pending, this.maxEvents)
    this.pending = this.pending.slice(take.length)
    this.inFlight = true
    this.c.store.commit(take, err => {
      this.inFlight = false
      if (this.failure !== undefined) return
      if (err !== undefined) { this.fail(err); return }
      for (const b of take) this.backlogN -= sizeOf(b)
      this.durableN = (take[take.length - 1] as PersistBatch).n
      this.c.durable(this.durableN)
      if (!this.inFlight && this.pending.length > 0 && this.failure === undefined) this.commitNext()
    })
  }

  private fail (err: Error): void {
    this.failure = err
    this.pending = []
    this.backlogN = 0
    this.c.failed(err)
  }
}

/** Consecutive batches from the head, at least one, up to maxEvents events. */
function takeBounded (pending: PersistBatch[], maxEvents: number): PersistBatch[] {
  const out: PersistBatch[] = []
  let events = 0
  for (const b of pending) {
    const size = sizeOf(b)
    if (out.length > 0 && events + size > maxEvents) break
    out.push(b)
    events += size
  }
  return out
}

function sizeOf (batch: PersistBatch): number {
  return batch.put.length + batch.remove.length
}
