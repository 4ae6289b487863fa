// Group commit between the core and the disk. The core calls persist(batch)
// synchronously (inside write() or receive()); the queue writes batches in
// order, merging whatever piled up during the previous write into one atomic
// LevelDB batch, then tells the core (markDurable) and wakes whoever awaits
// that batch (a publish is acknowledged only here).
//
// If a write fails, the store can no longer promise anything: the queue turns
// `failed`, rejects every waiter, and reports once through onFatal so the
// daemon shuts down instead of acknowledging writes it did not keep.

import type { PersistBatch } from '../../protocol/replica-api.js'
import { MycelError } from '../../protocol/errors.js'
import { MAX_EVENTS_PER_WRITE } from '../limits.js'

export interface CommitQueueComponents {
  /** Writes consecutive batches atomically (LevelStore.write). */
  write: (batches: PersistBatch[]) => Promise<void>
  /** Tells the core that batch n and all before it are durable. */
  markDurable: (n: number) => void
  /** Called once if a write fails. */
  onFatal: (err: Error) => void
}

interface Waiter { n: number, resolve: () => void, reject: (err: Error) => void }

export class CommitQueue {
  private readonly components: CommitQueueComponents
  private pending: PersistBatch[] = []
  private waiters: Waiter[] = []
  private writing: Promise<void> | undefined
  private durableN = 0
  private lastN = 0
  private backlogN = 0
  private failure: Error | undefined

  constructor (components: CommitQueueComponents) {
    this.components = components
  }

  /** Number of the newest batch handed to persist (0 before the first). */
  get lastBatch (): number { return this.lastN }

  /** Number of the newest batch on disk. */
  get durable (): number { return this.durableN }

  /** Events and removals queued but not yet on disk (for receive-side backpressure). */
  get backlog (): number { return this.backlogN }

  /** The core's persist port. Never throws into the core. */
  persist (batch: PersistBatch): void {
    this.lastN = batch.n
    if (this.failure !== undefined) return
    this.pending.push(batch)
    this.backlogN += sizeOf(batch)
    if (this.writing === undefined) this.writing = this.drain()
  }

  /** Resolves once batch n is durable; rejects if the store failed. */
  async whenDurable (n: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (n <= this.durableN) return
    await new Promise<void>((resolve, reject) => { this.waiters.push({ n, resolve, reject }) })
  }

  /** Waits for everything queued so far (for a clean shutdown). */
  async flush (): Promise<void> {
    while (this.writing !== undefined) await this.writing
  }

  private async drain (): Promise<void> {
    try {
      while (this.pending.length > 0 && this.failure === undefined) {
        const take = takeBounded(this.pending)
        this.pending = this.pending.slice(take.length)
        try {
          await this.components.write(take)
        } catch (err) {
          this.fail(err)
          return
        }
        for (const b of take) this.backlogN -= sizeOf(b)
        this.durableN = take[take.length - 1].n
        this.components.markDurable(this.durableN)
        this.wake()
      }
    } finally {
      this.writing = undefined
    }
  }

  private wake (): void {
    const still: Waiter[] = []
    for (const w of this.waiters) {
      if (w.n <= this.durableN) w.resolve()
      else still.push(w)
    }
    this.waiters = still
  }

  private fail (err: unknown): void {
    this.failure = new MycelError('INTERNAL', `the store failed to write: ${(err as Error).message}`, { cause: err })
    for (const w of this.waiters) w.reject(this.failure)
    this.waiters = []
    this.pending = []
    this.backlogN = 0
    this.components.onFatal(this.failure)
  }
}

/** Consecutive batches from the head, at least one, up to MAX_EVENTS_PER_WRITE events. */
function takeBounded (pending: PersistBatch[]): PersistBatch[] {
  const out: PersistBatch[] = []
  let events = 0
  for (const b of pending) {
    const size = sizeOf(b)
    if (out.length > 0 && events + size > MAX_EVENTS_PER_WRITE) break
    out.push(b)
    events += size
  }
  return out
}

function sizeOf (batch: PersistBatch): number {
  return batch.put.length + batch.remove.length
}
