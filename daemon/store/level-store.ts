// The node's durable state in LevelDB (one database in `<dir>/store`).
//
// Key layout (all keys UTF-8; `!` separates; author ids are peer ids and never
// contain `!`):
//   e!<author>!<seq, 12 digits>  → the event's canonical bytes (every version the core keeps)
//   k!<key>                      → `<author>!<seq>` of the key's winner: the LWW index
//   vv!<author>                  → highest seq covered for that author (decimal)
//   meta!highWater               → HLC high-water mark (decimal bigint)
//   meta!federation              → this node's federation id
//   meta!genesis                 → the federation's genesis, JSON {founder, nonce: hex}
//   meta!format                  → layout version ("1")
//   !<name>!…                    → a part's own key space (space(name)): webhook deliveries
//                                  (visibility/webhooks/level-storage.ts); never read here
//
// Consistency: the core hands over everything that changes together in one
// PersistBatch — events to store and to delete, and the new winner of every
// key whose winner changed — and `write()` turns one or more consecutive
// batches into ONE atomic `db.batch()` (LevelDB applies a batch all-or-nothing,
// also across a crash: it is one write-ahead-log record). Operations keep the
// core's order (removals, puts, winners, per batch), so the last word on a key
// wins. The LWW index thus always names a stored event of its own key;
// `check()` verifies that, and that every stored event is covered by the
// version vector and not above the high-water mark. The core rebuilds its
// in-memory state from the events on restart; the stored index is what lets an
// operator (and the crash tests) check a store offline.
//
// Disk footprint: LevelDB drops deleted entries only when a compaction rewrites the files holding
// them, and compactions follow writes to the same key range: after the core removed most events
// (collected tombstones and superseded versions, a revoked member's events) the files kept them,
// 8.5 MB for 1 000 live events of 200 000 written, until a compactRange brought it to 0.1 MB. So once
// the events removed since the last compaction amount to a quarter of those stored (and at least
// COMPACT_MIN_REMOVED), the range of the events and the key index is compacted in the background.
// Each compaction rewrites the live events once, after at least a quarter as many were removed, so
// its cost stays proportional to the removals, and the footprint to the live data (issue #25).

import { Level } from 'level'
import type { Event } from '../../protocol/event.js'
import type { PersistBatch, ReplicaSnapshot } from '../../protocol/replica-api.js'
import type { Stamp } from '../../protocol/hlc.js'
import { MycelError } from '../../protocol/errors.js'

export const STORE_FORMAT = '1'

/** Removed events before the event range is compacted, at least; above it, a quarter of those stored. */
export const COMPACT_MIN_REMOVED = 10_000

type Op = { type: 'put', key: string, value: Uint8Array } | { type: 'del', key: string }

export interface LevelStoreComponents {
  /** Strict decoder of stored event bytes (protocol/codec.ts decodeEvent). */
  decodeEvent: (bytes: Uint8Array) => Event
  /** Told when a compaction of the event range ends (a log line). */
  compacted?: (info: { removed: number, stored: number, ms: number }) => void
  /** Told when one fails (a log line): it is tried again after the next removals. */
  compactionFailed?: (info: { removed: number, error: string }) => void
}

export interface LevelStoreInit {
  /** Directory of the LevelDB database. */
  location: string
  /** fsync every write (default true): a write is acknowledged only once on disk. */
  sync?: boolean
}

/** A key space of the store (space()): utf8 keys and values; what its users need of an abstract-level sublevel. */
export interface KeySpace {
  iterator: (options: { gt: string, lt: string }) => AsyncIterable<[string, string]>
  get: (key: string) => Promise<string | undefined>
  batch: (ops: Array<{ type: 'put', key: string, value: string } | { type: 'del', key: string }>, options: { sync: boolean }) => Promise<void>
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
  private readonly compacted: LevelStoreComponents['compacted']
  private readonly compactionFailed: LevelStoreComponents['compactionFailed']
  /** Events stored, as far as this process knows (counted at loadSnapshot, then by writes). */
  private stored = 0
  private removedSinceCompaction = 0
  private compacting: Promise<void> | undefined
  /** Compactions of the event range this process ran. */
  compactions = 0

  constructor (init: LevelStoreInit, components: LevelStoreComponents) {
    this.db = new Level<string, Uint8Array>(init.location, { keyEncoding: 'utf8', valueEncoding: 'view' })
    this.sync = init.sync ?? true
    this.decodeEvent = components.decodeEvent
    this.compacted = components.compacted
    this.compactionFailed = components.compactionFailed
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
    await this.compacting
    await this.db.close()
  }

  /** Resolves when no compaction is running (tests, and close()). */
  async idle (): Promise<void> {
    await this.compacting
  }

  /**
   * A key space of its own in this database (an abstract-level sublevel, utf8 values), for a part
   * that keeps records beside the replica's: one store to open, lock, back up and fsync. Its keys
   * (`!<name>!…`) sort apart from the replica's, which loadSnapshot, check and resetReplicaState
   * alone read and clear.
   */
  space (name: string): KeySpace {
    return this.db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
  }

  /**
   * Writes consecutive persist batches as one atomic, (by default) fsynced LevelDB batch.
   * A chained batch, not an array of ops: abstract-level clones and re-validates every op of
   * an array batch, which cost ~3x the CPU per event of a chained batch (measured: ~18 vs ~6 µs
   * per event of a 16 000-event catch-up response). Both are one LevelDB WriteBatch: atomic.
   */
  async write (batches: PersistBatch[]): Promise<void> {
    const chained = this.db.batch()
    try {
      for (const batch of batches) addOps(chained, batch)
    } catch (err) {
      await chained.close()
      throw err
    }
    if (chained.length === 0) {
      await chained.close()
      return
    }
    await chained.write({ sync: this.sync })
    for (const batch of batches) {
      this.stored += batch.put.length - batch.remove.length
      this.removedSinceCompaction += batch.remove.length
    }
    this.compactIfWorthIt()
  }

  /** Starts a compaction of the event range once enough was removed since the last (see the top). */
  private compactIfWorthIt (): void {
    if (this.compacting !== undefined) return
    const removed = this.removedSinceCompaction
    if (removed < Math.max(COMPACT_MIN_REMOVED, this.stored / 4)) return
    this.removedSinceCompaction = 0
    const startedMs = performance.now()
    const db = this.db as unknown as { compactRange: (start: string, end: string) => Promise<void> }
    // The events and the key index (`e!` through `k!`): the bytes removals leave behind.
    this.compacting = db.compactRange('e!', 'k"')
      .then(() => {
        this.compactions++
        this.compacted?.({ removed, stored: Math.max(0, this.stored), ms: Math.round(performance.now() - startedMs) })
      })
      // A compaction that fails costs only disk space; LevelDB's own compactions go on, and the
      // removals stay counted so the next batch that removes anything tries again.
      .catch((err: unknown) => {
        this.removedSinceCompaction += removed
        this.compactionFailed?.({ removed, error: err instanceof Error ? err.message : String(err) })
      })
      .finally(() => { this.compacting = undefined })
  }

  /**
   * The stored envelope of (author, seq), read synchronously (classic-level's getSync): how a cooled
   * event is read back (event-reader.ts). Undefined when the store holds no such event.
   */
  eventBytesSync (author: string, seq: number): Uint8Array | undefined {
    return this.db.getSync(eventKey(author, seq))
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
    this.stored = events.length
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

  /** The federation's genesis (founder and nonce), once this node founded or joined one. */
  async genesis (): Promise<{ founder: string, nonce: Uint8Array } | undefined> {
    const text = await this.getText('meta!genesis')
    if (text === undefined) return undefined
    const g = JSON.parse(text) as { founder: string, nonce: string }
    return { founder: g.founder, nonce: Uint8Array.from(Buffer.from(g.nonce, 'hex')) }
  }

  /** Stores the genesis and the federation id derived from it, in one fsynced batch. */
  async setGenesis (genesis: { founder: string, nonce: Uint8Array }, federation: string): Promise<void> {
    const text = JSON.stringify({ founder: genesis.founder, nonce: Buffer.from(genesis.nonce).toString('hex') })
    await this.db.batch([
      { type: 'put', key: 'meta!genesis', value: enc.encode(text) },
      { type: 'put', key: 'meta!federation', value: enc.encode(federation) }
    ], { sync: true })
  }

  /**
   * Forgets the replica's state — events, LWW index, version vector — keeping
   * the high-water mark (clocks never go back) and the format. Used when a node
   * that was alone in its own federation joins another (`mycel join`).
   */
  async resetReplicaState (): Promise<void> {
    const ops: Op[] = []
    for (const [lo, hi] of [['e!', 'e"'], ['k!', 'k"'], ['vv!', 'vv"']]) {
      for await (const key of this.db.keys({ gt: lo, lt: hi })) ops.push({ type: 'del', key })
    }
    if (ops.length > 0) await this.db.batch(ops, { sync: this.sync })
    this.stored = 0
  }

  /** Verifies the invariants in the header comment; reads the whole store. */
  async check (): Promise<ConsistencyReport> {
    const problems: string[] = []
    const vv = new Map<string, number>()
    for await (const [key, value] of this.db.iterator({ gt: 'vv!', lt: 'vv"' })) vv.set(key.slice(3), Number(dec.decode(value)))
    const hwText = await this.getText('meta!highWater')
    const highWater: Stamp = hwText === undefined ? 0n : BigInt(hwText)
    const keyOfRef = new Map<string, string>()
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
      keyOfRef.set(`${event.author}!${event.seq}`, event.body.key)
    }
    let indexed = 0
    for await (const [key, value] of this.db.iterator({ gt: 'k!', lt: 'k"' })) {
      indexed++
      const k = key.slice(2)
      const ref = dec.decode(value)
      const stored = keyOfRef.get(ref)
      if (stored !== k) problems.push(`index ${k} → ${ref}, which is ${stored === undefined ? 'not stored' : `an event of key ${stored}`}`)
    }
    return { ok: problems.length === 0, events, indexed, problems }
  }

  private async getText (key: string): Promise<string | undefined> {
    const value = await this.db.get(key)
    return value === undefined ? undefined : dec.decode(value)
  }
}

/** The part of a chained batch write() uses. */
interface BatchSink {
  put: (key: string, value: Uint8Array) => unknown
  del: (key: string) => unknown
}

/** In the core's order: removals, then puts, then winners, then the vv and high-water mark. */
function addOps (sink: BatchSink, batch: PersistBatch): void {
  for (const r of batch.remove) sink.del(eventKey(r.author, r.seq))
  for (const event of batch.put) sink.put(eventKey(event.author, event.seq), event.bytes)
  for (const [key, winner] of batch.winners) {
    if (winner === null) sink.del(`k!${key}`)
    else sink.put(`k!${key}`, enc.encode(`${winner.author}!${winner.seq}`))
  }
  for (const [author, seq] of batch.vv) sink.put(`vv!${author}`, enc.encode(String(seq)))
  sink.put('meta!highWater', enc.encode(batch.highWater.toString()))
}
