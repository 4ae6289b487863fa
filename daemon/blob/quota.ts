// A disk quota per site (config quotaBytes, `mycel daemon --quota 50GiB`): the files behind the
// ledger (quota-ledger.ts, which decides everything).
//
//   BlobService ── admit (before a download) / pin (a read) / touch (a use) ──► BlobQuota ──► QuotaLedger
//   BlobStore ──── stored / removed (every blob, whoever wrote or deleted it) ──┘    │
//                                                    evictions: BlobStore.remove, partial/<hex> rm
//                                                    last uses: LastUsedJournal (<dir>/blobs/last-used)
//
// At start it counts what is on disk: one stat per blob in sha256/ and per download in partial/ (a
// download counted at its file's length until it is resumed and admitted at its blob's size). The LRU
// order is rebuilt from the journal's times, else each file's mtime (when it was written here). A
// restart therefore keeps the order, up to the few uses a crash may lose.
//
// An eviction deletes the blob's file (its manifest stays: small, and a re-fetch needs it), so this
// site's `have` answers say no from then on and fetchers go to other holders. An admission of bytes
// being evicted waits for their removal to finish first.

import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Clock } from '../../protocol/ports.js'
import type { Logger } from '../log.js'
import { QUOTA_JOURNAL_SLACK_LINES, QUOTA_LOAD_STATS_IN_FLIGHT } from './constants.js'
import { PartialBlob } from './partial.js'
import { LastUsedJournal } from './quota-journal.js'
import { QuotaLedger, type Admitter, type Evictable, type Victim } from './quota-ledger.js'
import { bytesOfHex, hexOf } from './refs.js'
import type { BlobStore } from './store.js'
import type { QuotaView } from './types.js'

export interface BlobQuotaInit {
  /** The limit, bytes. */
  quotaBytes: number
}

export interface BlobQuotaComponents {
  blobs: Pick<BlobStore, 'rootDir' | 'remove' | 'watch'>
  /** What may be done with a blob's bytes now (the blob layer's judgement: service.ts). */
  evictable: (hex: string) => Evictable
  /** Times of uses (persisted in the journal). */
  clock: Pick<Clock, 'nowMs'>
  log: Logger
}

const HEX = /^[0-9a-f]{64}$/

export class BlobQuota {
  readonly ledger: QuotaLedger
  private readonly c: BlobQuotaComponents
  private readonly journal: LastUsedJournal
  /** Evictions under way, by hex: an admission of the same bytes waits for them. */
  private readonly removals = new Map<string, Promise<void>>()
  private unwatch: (() => void) | undefined
  private trimming: Promise<void> = Promise.resolve()

  constructor (init: BlobQuotaInit, components: BlobQuotaComponents) {
    this.c = components
    this.ledger = new QuotaLedger({ quotaBytes: init.quotaBytes }, { evictable: components.evictable })
    this.journal = new LastUsedJournal(join(components.blobs.rootDir, 'last-used'), { log: components.log })
  }

  /** Counts what is on disk and starts watching the store. Call trim() once the blob layer can judge what is evictable. */
  async start (): Promise<void> {
    const found: Array<{ hex: string, bytes: number, complete: boolean, usedMs: number }> = []
    const root = this.c.blobs.rootDir
    const partialDir = PartialBlob.dirOf(root)
    const lastUsed = await this.journal.read()
    const look = async (dir: string, hex: string, complete: boolean): Promise<void> => {
      const st = await stat(join(dir, hex)).catch(() => undefined)
      if (st === undefined || !st.isFile()) return
      // The journal's time when it has one (it notes every store and use); else when the file was written.
      found.push({ hex, bytes: st.size, complete, usedMs: lastUsed.get(hex) ?? st.mtimeMs })
    }
    const complete = (await names(join(root, 'sha256'))).filter(n => HEX.test(n))
    const held = new Set(complete)
    await forEachLimited(complete, QUOTA_LOAD_STATS_IN_FLIGHT, async hex => { await look(join(root, 'sha256'), hex, true) })
    // A download left part-way (its bitmap beside it); one whose blob is complete is the collector's.
    const partial = (await names(partialDir)).filter(n => HEX.test(n) && !held.has(n))
    await forEachLimited(partial, QUOTA_LOAD_STATS_IN_FLIGHT, async hex => { await look(partialDir, hex, false) })
    found.sort((a, b) => a.usedMs - b.usedMs)
    for (const f of found) this.ledger.load(f.hex, f.bytes, f.complete, f.usedMs)
    if (this.journal.lineCount > 2 * found.length + QUOTA_JOURNAL_SLACK_LINES) void this.journal.rewrite(this.ledger.lastUses())
    this.unwatch = this.c.blobs.watch({
      stored: (digest, size) => { this.stored(hexOf(digest), size) },
      removed: digest => { this.ledger.removed(hexOf(digest)) }
    })
    const v = this.ledger.view()
    this.c.log.info('blob disk quota', { quotaBytes: v.quotaBytes, usedBytes: v.usedBytes, blobs: v.blobs, downloadingBytes: v.downloadingBytes })
  }

  async stop (): Promise<void> {
    this.unwatch?.()
    await this.trimming
    await Promise.allSettled(this.removals.values())
    await this.journal.settled()
  }

  /**
   * Room for a download of `target` (its full size), made before its first byte: victims are deleted
   * before this resolves. Throws TOO_LARGE or UNAVAILABLE naming the quota if it cannot be had. The
   * returned function ends the admission (when the fetch settles, whatever its outcome).
   */
  async admit (target: { digest: Uint8Array, size: number }, by: Admitter): Promise<() => void> {
    const hex = hexOf(target.digest)
    await this.removals.get(hex)
    const { victims, release } = this.ledger.admit(hex, target.size, by, this.c.clock.nowMs())
    await this.evict(victims, `a ${by} of sha256:${hex}`)
    return release
  }

  /**
   * `download` of `target` under the quota: admitted first (a refusal throws before it runs), its room
   * held until it settles; if it fails, the room it leaves counted is that of its partial file, if any.
   */
  async during (target: { digest: Uint8Array, size: number }, by: Admitter, download: () => Promise<void>): Promise<void> {
    const release = await this.admit(target, by)
    try {
      await download()
    } catch (err) {
      release()
      await this.fetchFailed(target.digest).catch(() => {})
      throw err
    } finally {
      release()
    }
  }

  /**
   * A download admitted here ended without its blob: if it left no partial file to resume (no holder
   * was found, or it was discarded), its bytes are no longer counted.
   */
  private async fetchFailed (digest: Uint8Array): Promise<void> {
    const hex = hexOf(digest)
    const left = await stat(join(PartialBlob.dirOf(this.c.blobs.rootDir), hex)).then(() => true, () => false)
    if (!left) this.ledger.forgetDownload(hex)
  }

  /** A download's partial file was deleted (the collector): no longer counted. */
  forgetDownload (hex: string): void {
    this.ledger.forgetDownload(hex)
  }

  /** Keeps the blob from eviction while it is read; call the returned function when done. */
  pin (digest: Uint8Array): () => void {
    return this.ledger.pin(hexOf(digest))
  }

  /** The blob was fetched or read here: the most recently used, and so noted in the journal. */
  touch (digest: Uint8Array): void {
    const hex = hexOf(digest)
    const now = this.c.clock.nowMs()
    if (this.ledger.touch(hex, now)) this.noteUse(hex, now)
  }

  /** Evicts what may be evicted while over the quota (after a publish; at start, if the quota was lowered). */
  trim (): Promise<void> {
    const run = this.trimming.then(async () => {
      const victims = this.ledger.trim()
      await this.evict(victims, 'over the quota')
      if (this.ledger.over) {
        const v = this.ledger.view()
        this.c.log.warn('over the disk quota, and nothing more may be evicted (bytes published here, kept for a replication factor, or in use)', { quotaBytes: v.quotaBytes, usedBytes: v.usedBytes })
      }
    })
    this.trimming = run.catch(err => { this.c.log.warn('quota trim failed', { err: String(err) }) })
    return this.trimming
  }

  view (): QuotaView {
    return this.ledger.view()
  }

  private stored (hex: string, size: number): void {
    const now = this.c.clock.nowMs()
    this.ledger.stored(hex, size, now)
    this.noteUse(hex, now)
    if (this.ledger.over) void this.trim()
  }

  private noteUse (hex: string, ms: number): void {
    this.journal.note(hex, ms)
    if (this.journal.lineCount > 2 * this.ledger.size + QUOTA_JOURNAL_SLACK_LINES) void this.journal.rewrite(this.ledger.lastUses())
  }

  /** Deletes the victims' files (a failure is logged: the ledger no longer counts them either way). */
  private async evict (victims: Victim[], why: string): Promise<void> {
    await Promise.all(victims.map(async v => {
      const removing = this.remove(v)
      this.removals.set(v.hex, removing)
      try {
        await removing
        this.c.log.info('blob evicted (disk quota)', { digest: `sha256:${v.hex}`, bytes: v.bytes, complete: v.complete, for: why })
      } catch (err) {
        this.c.log.warn('could not evict a blob', { digest: `sha256:${v.hex}`, err: String(err) })
      } finally {
        if (this.removals.get(v.hex) === removing) this.removals.delete(v.hex)
      }
    }))
  }

  private async remove (v: Victim): Promise<void> {
    if (v.complete) {
      await this.c.blobs.remove(bytesOfHex(v.hex))
      return
    }
    const partial = join(PartialBlob.dirOf(this.c.blobs.rootDir), v.hex)
    await rm(partial, { force: true })
    await rm(`${partial}.bitmap`, { force: true })
    await rm(`${partial}.bitmap.tmp`, { force: true })
  }
}

async function names (dir: string): Promise<string[]> {
  return await readdir(dir).catch(() => [] as string[])
}

/** `fn` over `items`, at most `limit` at once. */
async function forEachLimited<T> (items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}
