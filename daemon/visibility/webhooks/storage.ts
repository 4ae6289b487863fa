// Where webhook deliveries are kept: the interface, and an in-memory one (for
// tests and for a hub built without a store). The daemon's is LevelDB
// (level-storage.ts); both run the same contract (test/compliance/).
//
// A delivery is two entries: its record (small, rewritten at each attempt)
// and its body (written once, read at each attempt), so an attempt never
// rewrites the body. `write()` applies a list of operations atomically.

import type { DeliveryRecord } from './types.js'

export interface DeliveryMeta {
  /** The highest sequence number ever given: never reused, so ids stay unique. */
  lastSeq: number
  /** Random per data dir: part of every id, so a wiped dir's new ids do not repeat old ones. */
  nonce: string
}

export type DeliveryOp =
  | { op: 'put', record: DeliveryRecord }
  | { op: 'body', hook: string, seq: number, body: string }
  /** Forgets the record and the body. */
  | { op: 'del', hook: string, seq: number }
  | { op: 'meta', meta: DeliveryMeta }

export interface DeliveryStorage {
  /** Every record (any order) and the meta, once at start. */
  load: () => Promise<{ records: DeliveryRecord[], meta: DeliveryMeta | undefined }>
  body: (hook: string, seq: number) => Promise<string | undefined>
  /** All or nothing; the values are read (records serialized) before it returns its promise. */
  write: (ops: readonly DeliveryOp[]) => Promise<void>
}

export class MemoryDeliveryStorage implements DeliveryStorage {
  private readonly records = new Map<string, string>()
  private readonly bodies = new Map<string, string>()
  private meta: DeliveryMeta | undefined
  /** Writes done, for tests. */
  writes = 0

  async load (): Promise<{ records: DeliveryRecord[], meta: DeliveryMeta | undefined }> {
    return { records: [...this.records.values()].map(text => JSON.parse(text) as DeliveryRecord), meta: this.meta === undefined ? undefined : { ...this.meta } }
  }

  async body (hook: string, seq: number): Promise<string | undefined> {
    return this.bodies.get(`${hook}!${seq}`)
  }

  async write (ops: readonly DeliveryOp[]): Promise<void> {
    for (const o of ops) {
      switch (o.op) {
        case 'put': this.records.set(`${o.record.hook}!${o.record.seq}`, JSON.stringify(o.record)); break
        case 'body': this.bodies.set(`${o.hook}!${o.seq}`, o.body); break
        case 'del': this.records.delete(`${o.hook}!${o.seq}`); this.bodies.delete(`${o.hook}!${o.seq}`); break
        case 'meta': this.meta = { ...o.meta }; break
      }
    }
    this.writes++
  }

  /** Bodies kept, for tests of the bounds. */
  get bodyCount (): number { return this.bodies.size }
}
