// The daemon's waits on durability: a publish, an admission, a receive under
// backpressure each wait until the persist batch holding their event is on
// disk. The group commit itself is the replica host's (protocol/group-commit.ts),
// the same as the simulator's; it tells this what is durable, and the failure
// that stops it.
//
// If a write fails, the store can no longer promise anything: every waiter is
// rejected, and so is every later wait, so the daemon (told once through its
// onFatal) never acknowledges writes it did not keep.

import { MycelError } from '../../protocol/errors.js'

interface Waiter { n: number, resolve: () => void, reject: (err: Error) => void }

export class DurableWaits {
  private waiters: Waiter[] = []
  private durableN = 0
  private failure: Error | undefined

  /** Number of the newest batch on disk. */
  get durable (): number { return this.durableN }

  /** Resolves once batch n is durable; rejects if the store failed. */
  async whenDurable (n: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (n <= this.durableN) return
    await new Promise<void>((resolve, reject) => { this.waiters.push({ n, resolve, reject }) })
  }

  /** Batch n and every one before it are on disk. */
  durableThrough (n: number): void {
    this.durableN = Math.max(this.durableN, n)
    const still: Waiter[] = []
    for (const w of this.waiters) {
      if (w.n <= this.durableN) w.resolve()
      else still.push(w)
    }
    this.waiters = still
  }

  /** The store failed to write: rejects every waiter, now and later, with the error returned. */
  fail (err: unknown): Error {
    this.failure ??= new MycelError('INTERNAL', `the store failed to write: ${(err as Error).message}`, { cause: err })
    for (const w of this.waiters) w.reject(this.failure)
    this.waiters = []
    return this.failure
  }
}
