// Group commit for the delivery store: operations added while a write is in
// flight go out together in the next one, so a catch-up that queues 100 000
// events costs a few hundred fsynced batches, not 100 000. Operations on the
// same entry coalesce (a record rewritten twice is written once; a delivery
// queued and forgotten before its batch left is never written at all). A
// record is serialized when its batch is written, so what is written is its
// latest state.
//
// add() resolves once its operations are on disk, or rejects if that write
// failed (the caller decides: the queue logs it and delivers from memory).

import type { DeliveryOp, DeliveryStorage } from './storage.js'

function entryKey (hook: string, seq: number): string { return `${hook}!${seq}` }

export class BatchWriter {
  private readonly storage: Pick<DeliveryStorage, 'write'>
  private pending = new Map<string, DeliveryOp>()
  private waiters: Array<{ resolve: () => void, reject: (err: unknown) => void }> = []
  private running: Promise<void> | undefined

  constructor (storage: Pick<DeliveryStorage, 'write'>) {
    this.storage = storage
  }

  add (ops: readonly DeliveryOp[]): Promise<void> {
    for (const o of ops) this.coalesce(o)
    const written = new Promise<void>((resolve, reject) => { this.waiters.push({ resolve, reject }) })
    this.running ??= this.loop()
    return written
  }

  /** Resolves once everything added so far is written (or its write failed). */
  async flush (): Promise<void> {
    while (this.running !== undefined) await this.running
  }

  private coalesce (o: DeliveryOp): void {
    switch (o.op) {
      case 'put': this.pending.set(`r:${entryKey(o.record.hook, o.record.seq)}`, o); break
      case 'body': this.pending.set(`b:${entryKey(o.hook, o.seq)}`, o); break
      case 'meta': this.pending.set('meta', o); break
      case 'del':
        // Forgets record and body: a body still waiting here need not be written first.
        this.pending.delete(`b:${entryKey(o.hook, o.seq)}`)
        this.pending.set(`r:${entryKey(o.hook, o.seq)}`, o)
        break
    }
  }

  private async loop (): Promise<void> {
    // One turn of the microtask queue: a synchronous burst of add() calls joins one batch.
    await Promise.resolve()
    while (this.pending.size > 0) {
      const ops = [...this.pending.values()]
      const waiters = this.waiters
      this.pending = new Map()
      this.waiters = []
      try {
        await this.storage.write(ops)
        for (const w of waiters) w.resolve()
      } catch (err) {
        for (const w of waiters) w.reject(err)
      }
    }
    this.running = undefined
  }
}
