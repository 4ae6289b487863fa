// The node's durable state in LevelDB (one database in `<dir>/store`).
//
// Key layout (all keys UTF-8; `!` separates; author ids are peer ids and never
// contain `!`):
//   e!<author>!<seq, 12 digits>  → the event's canonical bytes (winners only)
//   k!<key>                      → `<author>!<seq>` of the key's winner: the LWW index
//   vv!<author>                  → highest seq covered for that author (decimal)
//   meta!highWater               → HLC high-water mark (decimal bigint)
//   meta!federation              → this node's federation id
//   meta!format                  → layout version ("1")
//
// Consistency: the core hands over everything that changes together in one
// PersistBatch, and `write()` turns one or more consecutive batches into ONE
// atomic `db.batch()` (LevelDB applies a batch all-or-nothing, also across a
// crash, since it is one write-ahead-log record). Within a batch removals come
// before puts, so "drop the old winner of key K, store the new one" leaves k!K
// pointing at the new one. The LWW index is thus always exactly the set of
// stored events by key; `check()` verifies that, and that every stored event is
// covered by the version vector and below the high-water mark. The core
// rebuilds its in-memory index from the events on restart; the stored index is
// what lets an operator (and the crash tests) check a store offline.

import { Level } from 'level'
import type { Event } from '../../protocol/event.js'
import type { PersistBatch, ReplicaSnapshot } from '../../protocol/replica-api.js'
import type { Stamp } from '../../protocol/hlc.js'
import { MycelError } from '../../protocol/errors.js'

export const STORE_FORMAT = '1'

type Op = { type: 'put', key: string, value: Uint8Array } | { type: 'del', key: string }

export interface LevelStoreComponents {
  /** Strict decoder of stored event bytes (protocol/codec.ts decodeEvent). */
  decodeEvent: (bytes: Uint8Array) => Event
}

export interface LevelStoreInit {
  /** Directory of the LevelDB database. */
  location: string
  /** fsync every write (default true): a write is acknowledged only once on disk. */
  sync?: boolean
}

export interface ConsistencyReport {
  ok: boolean
  events: number
  indexed: number
  problems: string[]
}

const enc = new TextEncoder()
const dec = new TextDecoder()

export function eventKey (author: string, seq: number): string {
  return `e!${author}!${String(seq).padStart(12, '0')}`
}

export class LevelStore {
  private readonly db: Level<string, Uint8Array>
  private readonly sync: boolean
  private readonly decodeEvent: (bytes: Uint8Array) => Event

  constructor (init: LevelStoreInit, components: LevelStoreComponents) {
    this.db = new Level<string, Uint8Array>(init.location, { keyEncoding: 'utf8', valueEncoding: 'view' })
    this.sync = init.sync ?? true
    this.decodeEvent = components.decodeEvent
  }

  async open (): Promise<void> {
    try {
      await this.db.open()
    } catch (err) {
      const locked = (err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED'
      if (locked) throw new MycelError('UNAVAILABLE', `${this.db.location} is in use by another mycel daemon`, { cause: err })
      throw new MycelError('INTERNAL', `cannot open the store at ${this.db.location}: ${(err as Error).message}`, { cause: err })
    }
    const format = await this.getText('meta!format')
    if (format === undefined) {
      await this.db.put('meta!format', enc.encode(STORE_FORMAT), { sync: this.sync })
    } else if (format !== STORE_FORMAT) {
      throw new MycelError('UNSUPPORTED_VERSION', `store format ${format} is not supported by this build (expects ${STORE_FORMAT})`)
    }
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /** Writes consecutive persist batches as one atomic, (by default) fsynced LevelDB batch. */
  async write (batches: PersistBatch[]): Promise<void> {
    const ops: Op[] = []
    for (const batch of batches) ops.push(...opsOf(batch))
    if (ops.length === 0) return
    await this.db.batch(ops, { sync: this.sync })
  }

  /** Everything a Replica needs to restart. */
  async loadSnapshot (): Promise<ReplicaSnapshot> {
    const events: Event[] = []
    for await (const [key, value] of this.db.iterator({ gt: 'e!', lt: 'e"' })) {
      try {
        events.push(this.decodeEvent(value))
      } catch (err) {
        throw new MycelError('DECODE_FAILED', `stored event ${key} does not decode: the store is damaged`, { cause: err })
      }
    }
    const vv: Array<[string, number]> = []
    for await (const [key, value] of this.db.iterator({ gt: 'vv!', lt: 'vv"' })) {
      vv.push([key.slice(3), Number(dec.decode(value))])
    }
    const hw = await this.getText('meta!highWater')
    return { events, vv, highWater: hw === undefined ? 0n : BigInt(hw) }
  }

  async federation (): Promise<string | undefined> {
    return await this.getText('meta!federation')
  }

  async setFederation (id: string): Promise<void> {
    await this.db.put('meta!federation', enc.encode(id), { sync: true })
  }

  /** Verifies the invariants in the header comment; reads the whole store. */
  async check (): Promise<ConsistencyReport> {
    const problems: string[] = []
    const vv = new Map<string, number>()
    for await (const [key, value] of this.db.iterator({ gt: 'vv!', lt: 'vv"' })) vv.set(key.slice(3), Number(dec.decode(value)))
    const hwText = await this.getText('meta!highWater')
    const highWater: Stamp = hwText === undefined ? 0n : BigInt(hwText)
    const byKey = new Map<string, string>()
    let events = 0
    for await (const [key, value] of this.db.iterator({ gt: 'e!', lt: 'e"' })) {
      events++
      let event: Event
      try {
        event = this.decodeEvent(value)
      } catch (err) {
        problems.push(`${key}: does not decode (${(err as Error).message})`)
        continue
      }
      if (key !== eventKey(event.author, event.seq)) problems.push(`${key}: holds ${event.author}:${event.seq}`)
      if ((vv.get(event.author) ?? 0) < event.seq) problems.push(`${key}: not covered by vv (${vv.get(event.author) ?? 0})`)
      if (event.stamp > highWater) problems.push(`${key}: stamp above the high-water mark`)
      if (byKey.has(event.body.key)) problems.push(`${key}: second winner for key ${event.body.key}`)
      byKey.set(event.body.key, `${event.author}!${event.seq}`)
    }
    let indexed = 0
    for await (const [key, value] of this.db.iterator({ gt: 'k!', lt: 'k"' })) {
      indexed++
      const k = key.slice(2)
      const ref = dec.decode(value)
      if (byKey.get(k) !== ref) problems.push(`index ${k} → ${ref}, but the stored winner is ${byKey.get(k) ?? 'none'}`)
    }
    if (indexed !== byKey.size) problems.push(`index has ${indexed} keys, events have ${byKey.size}`)
    return { ok: problems.length === 0, events, indexed, problems }
  }

  private async getText (key: string): Promise<string | undefined> {
    const value = await this.db.get(key)
    return value === undefined ? undefined : dec.decode(value)
  }
}

/**
 * Removals first, then puts, then the vv and high-water mark (see the header).
 * An event both put and removed in the same batch (won, then lost at once) is
 * not stored at all, whatever order the core lists them in.
 */
function opsOf (batch: PersistBatch): Op[] {
  const ops: Op[] = []
  const removed = new Set<string>()
  for (const r of batch.remove) {
    removed.add(eventKey(r.author, r.seq))
    ops.push({ type: 'del', key: eventKey(r.author, r.seq) })
    ops.push({ type: 'del', key: `k!${r.key}` })
  }
  for (const event of batch.put) {
    if (removed.has(eventKey(event.author, event.seq))) continue
    ops.push({ type: 'put', key: eventKey(event.author, event.seq), value: event.bytes })
    ops.push({ type: 'put', key: `k!${event.body.key}`, value: enc.encode(`${event.author}!${event.seq}`) })
  }
  for (const [author, seq] of batch.vv) ops.push({ type: 'put', key: `vv!${author}`, value: enc.encode(String(seq)) })
  ops.push({ type: 'put', key: 'meta!highWater', value: enc.encode(batch.highWater.toString()) })
  return ops
}
