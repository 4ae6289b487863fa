// A node's virtual disk. persist() queues a batch; the node's fsync timer makes
// batches durable in order. A crash throws away whatever is not yet durable,
// exactly as a real disk without a completed fsync would. The durable image is
// what a restarted replica loads: the winning events, the version vector and
// the HLC high-water mark.
//
// The image is kept in arrays indexed by the run's shared key and author
// numbers (an Interner), with each key's one version's (author, seq) beside
// it: a batch then costs a few reads of this node's small arrays and never
// touches the event it replaces, where a map per node and a look at the old
// event missed the cache at every step of a thousand-node run.

import type { Event } from '../protocol/event.js'
import type { Stamp } from '../protocol/hlc.js'
import type { PersistBatch, ReplicaSnapshot } from '../protocol/replica-api.js'
import { Interner } from './interner.js'
import type { NodeDisk } from './imageless-disk.js'

/** The key and author numbers a disk shares with the other disks of its run. */
export interface DiskNames {
  keys: Interner
  authors: Interner
}

export class VirtualDisk implements NodeDisk {
  private readonly names: DiskNames
  /**
   * key number → the version of that key held, the versions when there are
   * several (a federation retains them; arrays always hold two or more), or
   * nothing. GONE only inside apply.
   */
  private readonly versions: Array<Event | Event[] | typeof GONE | undefined> = []
  /** For a key with one version: its seq and author number (MULTI when an array). */
  private seqs = new Float64Array(INITIAL_KEYS)
  private authors = new Int32Array(INITIAL_KEYS)
  /**
   * When the key last went from absent to present. snapshot() lists keys in
   * this order, which is the order a map from key to versions would give —
   * a key deleted and stored again goes last.
   */
  private since = new Float64Array(INITIAL_KEYS)
  private stored = 0
  /** author number → durable sequence number (-1: none); authors in the order first seen. */
  private vvSeqs = new Float64Array(INITIAL_AUTHORS).fill(-1)
  private readonly vvOrder: number[] = []
  private highWater: Stamp = 0n
  /** Batches written and not yet durable, each with its ops (see encode). */
  private pending: PersistBatch[] = []
  private pendingOps: number[][] = []
  private durableThrough_ = 0

  /** `names`: the run's shared numbering (a disk on its own numbers for itself). */
  constructor (names: DiskNames = { keys: new Interner(), authors: new Interner() }) {
    this.names = names
  }

  /** Queues a batch; it is not durable until flushThrough covers it. */
  write (batch: PersistBatch): void {
    this.pending.push(batch)
    this.pendingOps.push(this.encode(batch))
  }

  /** Starts out holding `image` durably (batch 0: the replica numbers its own from 1). */
  seed (image: ReplicaSnapshot): void {
    this.write({
      n: 0,
      put: image.events,
      remove: [],
      winners: image.events.map(e => [e.body.key, { author: e.author, seq: e.seq }]),
      vv: image.vv,
      highWater: image.highWater
    })
    this.flushThrough(0)
  }

  /** Makes every pending batch numbered ≤ n durable, in order. Returns the highest batch now durable. */
  flushThrough (n: number): number {
    let i = 0
    while (i < this.pending.length && ((this.pendingOps[i] as number[])[0] as number) <= n) {
      this.apply(this.pending[i] as PersistBatch, this.pendingOps[i] as number[])
      i++
    }
    if (i > 0) {
      this.pending = this.pending.slice(i)
      this.pendingOps = this.pendingOps.slice(i)
    }
    return this.durableThrough_
  }

  /** A crash: batches not yet durable are gone. Returns how many were lost. */
  crash (): number {
    const lost = this.pending.length
    this.pending = []
    this.pendingOps = []
    return lost
  }

  durableThrough (): number {
    return this.durableThrough_
  }

  pendingCount (): number {
    return this.pending.length
  }

  /** The highest sequence number of `author` that is durably covered. */
  durableSeq (author: string): number {
    const a = this.names.authors.find(author)
    return a < 0 || a >= this.vvSeqs.length || (this.vvSeqs[a] as number) < 0 ? 0 : this.vvSeqs[a] as number
  }

  snapshot (): ReplicaSnapshot {
    const present: number[] = []
    for (let k = 0; k < this.versions.length; k++) if (this.versions[k] !== undefined) present.push(k)
    present.sort((a, b) => (this.since[a] as number) - (this.since[b] as number))
    const events: Event[] = []
    for (const k of present) {
      const v = this.versions[k] as Event | Event[]
      if (Array.isArray(v)) for (const e of v) events.push(e)
      else events.push(v)
    }
    const vv: Array<[string, number]> = this.vvOrder.map(a => [this.names.authors.name(a), this.vvSeqs[a] as number])
    return { events, vv, highWater: this.highWater }
  }

  eventCount (): number {
    let n = 0
    for (const v of this.versions) n += Array.isArray(v) ? v.length : v === undefined ? 0 : 1
    return n
  }

  /**
   * A batch as numbers, read while its events and entries are still fresh in
   * the cache (the replica has just made it): [n, removes, (key, author, seq)
   * per remove, puts, (key, author, seq, skip) per put, vv entries, (author,
   * seq) per entry]. apply then never looks inside an event or an entry.
   */
  private encode (batch: PersistBatch): number[] {
    const { keys, authors } = this.names
    const ops: number[] = [batch.n, batch.remove.length]
    for (const r of batch.remove) ops.push(keys.id(r.key), authors.id(r.author), r.seq)
    const removed = batch.remove.length === 0 ? undefined : batch.remove.length <= SCAN_MAX ? batch.remove : removeSet(batch.remove)
    ops.push(batch.put.length)
    for (const e of batch.put) {
      const key = e.body.key
      ops.push(keys.id(key), authors.id(e.author), e.seq, removed !== undefined && namedIn(removed, key, e.author, e.seq) ? 1 : 0)
    }
    ops.push(batch.vv.length)
    for (const [author, seq] of batch.vv) ops.push(authors.id(author), seq)
    return ops
  }

  /**
   * The image after "store every put, then delete every remove" — done the
   * other way round, so that the usual batch (a key's new winner put, its old
   * one removed) never grows the key to two versions. A key a remove empties
   * keeps its place (GONE) until the puts are in; a put that a remove of the
   * same batch names is skipped, as the remove would have deleted it (though
   * a key it creates still takes its place). test/sim/disk.test.ts holds this
   * against the plain order.
   */
  private apply (batch: PersistBatch, ops: number[]): void {
    const versions = this.versions
    let emptied: number[] | undefined
    let o = 1
    const removes = ops[o++] as number
    for (let j = 0; j < removes; j++, o += 3) {
      const k = ops[o] as number
      if (k >= versions.length) continue
      const v = versions[k]
      if (v === undefined || v === GONE) continue
      const a = ops[o + 1] as number
      const seq = ops[o + 2] as number
      if (this.authors[k] === MULTI) {
        const all = v as Event[]
        const i = indexOf(all, this.names.authors.name(a), seq)
        if (i < 0) continue
        if (all.length === 2) this.hold(k, all[1 - i] as Event, this.names.authors.id((all[1 - i] as Event).author))
        else all.splice(i, 1)
      } else if (this.seqs[k] === seq && this.authors[k] === a) {
        versions[k] = GONE
        if (emptied === undefined) emptied = []
        emptied.push(k)
      }
    }
    const puts = ops[o++] as number
    for (let j = 0; j < puts; j++, o += 4) {
      const k = ops[o] as number
      if (k >= versions.length) this.grow(k)
      const v = versions[k]
      if (ops[o + 3] === 1) {
        // Put then removed: it leaves nothing, but a key it would have created keeps the place it took.
        if (v === undefined) {
          this.since[k] = ++this.stored
          versions[k] = GONE
          if (emptied === undefined) emptied = []
          emptied.push(k)
        }
        continue
      }
      const e = batch.put[j] as Event
      const a = ops[o + 1] as number
      const seq = ops[o + 2] as number
      if (v === undefined || v === GONE) {
        if (v === undefined) this.since[k] = ++this.stored
        versions[k] = e
        this.seqs[k] = seq
        this.authors[k] = a
      } else if (this.authors[k] === MULTI) {
        const all = v as Event[]
        const i = indexOf(all, e.author, seq)
        if (i < 0) all.push(e)
        else all[i] = e
      } else if (this.seqs[k] === seq && this.authors[k] === a) versions[k] = e
      else {
        versions[k] = [v as Event, e]
        this.authors[k] = MULTI
      }
    }
    if (emptied !== undefined) for (const k of emptied) if (versions[k] === GONE) versions[k] = undefined
    const vvs = ops[o++] as number
    for (let j = 0; j < vvs; j++, o += 2) {
      const a = ops[o] as number
      if (a >= this.vvSeqs.length) this.growAuthors(a)
      if ((this.vvSeqs[a] as number) < 0) this.vvOrder.push(a)
      this.vvSeqs[a] = ops[o + 1] as number
    }
    if (batch.highWater > this.highWater) this.highWater = batch.highWater
    this.durableThrough_ = ops[0] as number
  }

  /** Key k now holds exactly `e`, whose author has number `a`. */
  private hold (k: number, e: Event, a: number): void {
    this.versions[k] = e
    this.seqs[k] = e.seq
    this.authors[k] = a
  }

  private grow (k: number): void {
    while (this.versions.length <= k) this.versions.push(undefined)
    if (k < this.seqs.length) return
    const n = Math.max(2 * this.seqs.length, k + 1)
    this.seqs = resized(this.seqs, n)
    const authors = new Int32Array(n)
    authors.set(this.authors)
    this.authors = authors
    this.since = resized(this.since, n)
  }

  private growAuthors (a: number): void {
    const seqs = new Float64Array(Math.max(2 * this.vvSeqs.length, a + 1)).fill(-1)
    seqs.set(this.vvSeqs)
    this.vvSeqs = seqs
  }
}

const INITIAL_KEYS = 64
const INITIAL_AUTHORS = 64

/** In `authors`: the key holds several versions, in an array. */
const MULTI = -1

/** Marks, within apply, a key whose last version a remove took: it keeps its place while the puts go in. */
const GONE = null

/** Up to this many removes in a batch, a put looks for itself among them by scanning; beyond, through a set. */
const SCAN_MAX = 8

type Removes = PersistBatch['remove'] | Set<string>

function resized (a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n)
  b.set(a)
  return b
}

function removeSet (remove: PersistBatch['remove']): Set<string> {
  const set = new Set<string>()
  for (const r of remove) set.add(refKey(r.key, r.author, r.seq))
  return set
}

/** One string per (key, author, seq), unambiguous whatever characters the author and key hold. */
function refKey (key: string, author: string, seq: number): string {
  return `${seq}:${author.length}:${author}${key}`
}

/** Does a remove of the batch name this version? */
function namedIn (removed: Removes, key: string, author: string, seq: number): boolean {
  if (removed instanceof Set) return removed.has(refKey(key, author, seq))
  for (const r of removed) if (r.seq === seq && r.author === author && r.key === key) return true
  return false
}

function indexOf (versions: Event[], author: string, seq: number): number {
  for (let i = 0; i < versions.length; i++) {
    const v = versions[i] as Event
    if (v.seq === seq && v.author === author) return i
  }
  return -1
}
