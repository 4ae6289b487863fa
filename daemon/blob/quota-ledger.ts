// The disk quota's bookkeeping, without I/O (quota.ts does the files): every blob held under
// <dir>/blobs/sha256 and every download admitted, with its size and when it was last fetched or read
// here. The map's order is the LRU order, least recently used first: a use moves an entry to the end,
// so an eviction walks from the front and never sorts.
//
// New bytes are admitted before they are fetched: a download is counted at its blob's full size from
// its admission on (its partial file grows towards that), so the quota holds while downloads run, and
// room is made (victims chosen, and counted as gone at once) before the first byte arrives. Victims
// are chosen in this order, least recently used first within each kind:
//   1. `cache`: another site's bytes kept because of `on-demand` (or `none`, while served);
//   2. `mirror`: another site's bytes kept because of `eager` — only for a fetch someone waits on,
//      never for the mirror itself (a mirror evicting mirrored bytes to mirror others would churn).
// Never: what the blob layer says is `no` (this site's own publishes, a replication factor's
// placement holders, bytes no live key references yet or any more: the collector's), and an entry
// pinned by a reader or a writer. Nothing is evicted unless enough can be: a refusal costs nothing.
//
// Bytes this site writes itself (a publish, a registry push) are counted when they land, not
// admitted: their size is known only at the end of the stream, and they are never refused by the
// quota. trim() then evicts what it may to come back under it.

import { MycelError } from '../../protocol/errors.js'
import type { ReplicationPolicy } from './policy.js'
import type { BlobRef } from './refs.js'
import type { QuotaView } from './types.js'

/** What may be done with a blob's bytes now, as the blob layer judges it (service.ts). */
export type Evictable = 'no' | 'cache' | 'mirror'

/** Who asks for room: a fetch someone waits on may evict `cache` then `mirror` bytes; the eager mirror only `cache` bytes. */
export type Admitter = 'fetch' | 'mirror'

export interface QuotaLedgerInit {
  /** The limit, bytes (at least 1). */
  quotaBytes: number
}

export interface QuotaLedgerComponents {
  evictable: (hex: string) => Evictable
}

interface Entry {
  bytes: number
  /** False: a download (partial/<hex>), running or left part-way, counted at the blob's full size. */
  complete: boolean
  /** Readers and writers now; a pinned entry is never evicted. */
  pins: number
  /** When it was last fetched or read here (ms since the epoch): what is persisted (quota.ts). */
  usedMs: number
}

/** Bytes to delete: a stored blob, or a download's partial file. */
export interface Victim { hex: string, bytes: number, complete: boolean }

export interface Admission {
  /** Counted as gone already: the caller deletes them before the download starts. */
  victims: Victim[]
  /** Unpins the download's entry (once; later calls do nothing). */
  release: () => void
}

export class QuotaLedger {
  private readonly entries = new Map<string, Entry>()
  private readonly quotaBytes: number
  private readonly c: QuotaLedgerComponents
  private used = 0
  private downloading = 0
  private blobs = 0
  private readonly stats = { evictions: 0, evictedBytes: 0, refusedFetches: 0, refusedMirrors: 0 }
  private lastRefusal: QuotaView['lastRefusal'] = null

  constructor (init: QuotaLedgerInit, components: QuotaLedgerComponents) {
    if (!(Number.isSafeInteger(init.quotaBytes) && init.quotaBytes > 0)) throw new RangeError(`quota of ${init.quotaBytes} bytes`)
    this.quotaBytes = init.quotaBytes
    this.c = components
  }

  get usedBytes (): number { return this.used }
  get size (): number { return this.entries.size }
  get over (): boolean { return this.used > this.quotaBytes }

  /** At start, what is on disk: call in the order of usedMs (oldest first), once per hex. */
  load (hex: string, bytes: number, complete: boolean, usedMs: number): void {
    if (this.entries.has(hex)) throw new Error(`quota ledger: ${hex} loaded twice`)
    this.entries.set(hex, { bytes, complete, pins: 0, usedMs })
    this.count(bytes, complete, +1)
  }

  /** A blob landed in the store (a download's end, a publish): counted, and the most recently used. */
  stored (hex: string, bytes: number, nowMs: number): void {
    const e = this.entries.get(hex)
    if (e === undefined) {
      this.entries.set(hex, { bytes, complete: true, pins: 0, usedMs: nowMs })
      this.count(bytes, true, +1)
      return
    }
    this.count(e.bytes, e.complete, -1)
    e.bytes = bytes
    e.complete = true
    this.count(bytes, true, +1)
    this.use(hex, e, nowMs)
  }

  /** A blob left the store (collected, evicted, a damaged copy, a `none` blob served): no longer counted. */
  removed (hex: string): void {
    const e = this.entries.get(hex)
    if (e === undefined || !e.complete) return // a download's entry is its own (forgetDownload)
    this.entries.delete(hex)
    this.count(e.bytes, true, -1)
  }

  /** A download's partial file is gone (collected, or its fetch ended without leaving one): unless pinned, no longer counted. */
  forgetDownload (hex: string): void {
    const e = this.entries.get(hex)
    if (e === undefined || e.complete || e.pins > 0) return
    this.entries.delete(hex)
    this.count(e.bytes, false, -1)
  }

  /** The blob was fetched or read here: now the most recently used. False if it is not counted. */
  touch (hex: string, nowMs: number): boolean {
    const e = this.entries.get(hex)
    if (e === undefined) return false
    this.use(hex, e, nowMs)
    return true
  }

  /** Pins the entry while it is read (or written); the release unpins it once. Nothing to pin: a no-op. */
  pin (hex: string): () => void {
    const e = this.entries.get(hex)
    return e === undefined ? () => {} : pinned(e)
  }

  /**
   * Room for `bytes` of a blob not here yet, to be downloaded now. The entry is counted at once and
   * pinned until released; victims are chosen (and no longer counted) to make room. Throws TOO_LARGE if
   * the blob alone exceeds the quota, UNAVAILABLE if not enough may be evicted (nothing is, then).
   */
  admit (hex: string, bytes: number, by: Admitter, nowMs: number): Admission {
    if (bytes > this.quotaBytes) {
      throw this.refused(hex, bytes, by, nowMs, 'TOO_LARGE', `sha256:${hex} is ${bytes} bytes, more than this site's disk quota of ${this.quotaBytes} bytes (config quotaBytes, --quota)`)
    }
    // Counted already: stored (a race with a fetch's end), or a download admitted before. One found
    // on disk at start is counted at its file's length so far: it grows to the blob's size now.
    const held = this.entries.get(hex)
    const e: Entry = held ?? { bytes: 0, complete: false, pins: 0, usedMs: nowMs }
    const grow = e.complete ? 0 : Math.max(0, bytes - e.bytes)
    const release = pinned(e) // first, so that choose() passes over it
    const need = this.used + grow - this.quotaBytes
    const victims = grow > 0 && need > 0 ? this.choose(need, by === 'fetch', false) : []
    if (victims === undefined) {
      release()
      throw this.refused(hex, bytes, by, nowMs, 'UNAVAILABLE', `this site's disk quota is full: ${this.used} of ${this.quotaBytes} bytes held, and too few of them may be evicted to make room for the ${bytes} bytes of sha256:${hex} ` +
        `(never evicted: bytes published here, kept for a replication factor, being read or written, or no live key references${by === 'mirror' ? '; the mirror evicts only on-demand bytes' : ''})`)
    }
    for (const v of victims) this.evict(v)
    e.bytes += grow
    this.count(grow, false, +1) // a download's bytes: `used` and `downloading`
    this.use(hex, e, nowMs) // (re)inserted at the end: the most recently used
    return { victims, release }
  }

  /** Over the quota (a publish landed, the quota was lowered): victims to bring it back under, as many as may be. */
  trim (): Victim[] {
    if (this.used <= this.quotaBytes) return []
    const victims = this.choose(this.used - this.quotaBytes, true, true) ?? []
    for (const v of victims) this.evict(v)
    return victims
  }

  /** Every entry's last use, least recent first (the journal's compaction). */
  * lastUses (): IterableIterator<[string, number]> {
    for (const [hex, e] of this.entries) yield [hex, e.usedMs]
  }

  view (): QuotaView {
    return {
      quotaBytes: this.quotaBytes,
      usedBytes: this.used,
      downloadingBytes: this.downloading,
      blobs: this.blobs,
      ...this.stats,
      lastRefusal: this.lastRefusal
    }
  }

  /**
   * Victims freeing at least `need` bytes, least recently used first: `cache` entries, then (if
   * `mirrorToo`) `mirror` entries. Undefined if they do not add up, unless `partialOk` (then all there are).
   * One walk of the map; each entry's kind is asked at most once.
   */
  private choose (need: number, mirrorToo: boolean, partialOk: boolean): Victim[] | undefined {
    const out: Victim[] = []
    const mirrored: Victim[] = []
    let freed = 0
    for (const [hex, e] of this.entries) {
      if (e.pins > 0) continue
      const kind = this.c.evictable(hex)
      const v = { hex, bytes: e.bytes, complete: e.complete }
      if (kind === 'cache') {
        out.push(v)
        freed += e.bytes
        if (freed >= need) return out
      } else if (kind === 'mirror' && mirrorToo) {
        mirrored.push(v)
      }
    }
    for (const v of mirrored) {
      out.push(v)
      freed += v.bytes
      if (freed >= need) return out
    }
    return partialOk ? out : undefined
  }

  private evict (v: Victim): void {
    this.entries.delete(v.hex)
    this.count(v.bytes, v.complete, -1)
    this.stats.evictions++
    this.stats.evictedBytes += v.bytes
  }

  private use (hex: string, e: Entry, nowMs: number): void {
    this.entries.delete(hex)
    this.entries.set(hex, e)
    e.usedMs = nowMs
  }

  private count (bytes: number, complete: boolean, sign: 1 | -1): void {
    this.used += sign * bytes
    if (complete) this.blobs += sign
    else this.downloading += sign * bytes
  }

  private refused (hex: string, bytes: number, by: Admitter, nowMs: number, code: 'TOO_LARGE' | 'UNAVAILABLE', message: string): MycelError {
    if (by === 'fetch') this.stats.refusedFetches++
    else this.stats.refusedMirrors++
    this.lastRefusal = { atMs: nowMs, digest: `sha256:${hex}`, bytes, by }
    return new MycelError(code, message, { details: { digest: `sha256:${hex}`, size: bytes, quotaBytes: this.quotaBytes, usedBytes: this.used } })
  }
}

function pinned (e: Entry): () => void {
  e.pins++
  let released = false
  return () => {
    if (released) return
    released = true
    e.pins--
  }
}

/**
 * The blob layer's judgement of a blob's bytes (service.ts): never evict what no live key references
 * (`ref` undefined: the collector's after blobGraceMs, or a publish whose put is not written yet), what
 * this site published (a live put of its own names it: it may hold the only copy), what a download is
 * writing, or what a replication factor places here (`mustKeep`); else `mirror` if the policy mirrors it
 * (eager, for any of its keys), `cache` if it is kept on demand.
 */
export function evictableOf (ref: BlobRef | undefined, p: { selfId: string, downloading: boolean, policy: ReplicationPolicy, mustKeep?: (digest: Uint8Array) => boolean }): Evictable {
  if (ref === undefined || ref.hasAuthor(p.selfId) || p.downloading) return 'no'
  if (p.mustKeep?.(ref.digest) === true) return 'no'
  return p.policy.modeOfKeys(ref.keys()) === 'eager' ? 'mirror' : 'cache'
}

/** A refusal of the quota (admit): it names the quota and is passed on as it is. */
export function isQuotaRefusal (err: unknown): err is MycelError {
  return err instanceof MycelError && typeof err.details?.quotaBytes === 'number'
}
