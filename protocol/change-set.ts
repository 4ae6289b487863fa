// What one input (a write, a message, a tick) changed, gathered until the
// replica hands it to the driver as one PersistBatch. A busy replica takes a
// change set after every message it receives, so taking one allocates only
// what the batch itself holds.

import type { Event } from './event.js'
import type { VersionVectorEntries } from './messages.js'
import type { PersistBatch } from './replica-api.js'

export class ChangeSet {
  private put: Event[] = []
  private remove: Event[] = []
  private own: Event[] = []
  private readonly keys = new Set<string>()
  /** Authors whose mark moved: the version vector adds to it directly. */
  readonly vv = new Set<string>()

  /** e became a stored version of its key; `dropped` are the versions it pushed out. */
  installed (e: Event, dropped: readonly Event[]): void {
    this.put.push(e)
    this.keys.add(e.body.key)
    for (const d of dropped) this.remove.push(d)
  }

  /** A stored version was removed for good (invalidated or collected). */
  removed (e: Event): void {
    this.remove.push(e)
    this.keys.add(e.body.key)
  }

  /** The key's winner changed with no version added or removed (the rules or a role changed: rule-fold.ts). */
  rejudged (key: string): void {
    this.keys.add(key)
  }

  /** A local write, to be pushed once its batch is durable. */
  wrote (e: Event): void {
    this.own.push(e)
  }

  isEmpty (): boolean {
    return this.put.length === 0 && this.remove.length === 0 && this.vv.size === 0 && this.keys.size === 0
  }

  /**
   * Everything gathered, as batch number n, and the own writes it carries;
   * the set starts empty again. `mark` reads an author's current coverage,
   * `winnerOf` a key's current winner.
   */
  take (n: number, highWater: bigint, mark: (author: string) => [string, number], winnerOf: (key: string) => Event | undefined): { batch: PersistBatch, own: Event[] } {
    // An event both installed and replaced within one batch need not touch disk.
    // Most batches install without removing or the reverse: no sets for those.
    let put = this.put
    let removeEvents = this.remove
    if (put.length > 0 && removeEvents.length > 0) {
      const removed = new Set(removeEvents)
      const putSet = new Set(put)
      put = put.filter(e => !removed.has(e))
      removeEvents = removeEvents.filter(e => !putSet.has(e))
    }
    const remove = removeEvents.map(e => ({ author: e.author, seq: e.seq, key: e.body.key }))
    const vv: VersionVectorEntries = []
    for (const a of this.vv) vv.push(mark(a))
    const winners: PersistBatch['winners'] = []
    for (const key of this.keys) winners.push([key, winnerOf(key) ?? null]) // the event itself serves as its (author, seq)
    const own = this.own
    this.put = []
    this.remove = []
    this.own = []
    this.vv.clear()
    this.keys.clear()
    return { batch: { n, put, remove, winners, vv, highWater }, own }
  }
}
