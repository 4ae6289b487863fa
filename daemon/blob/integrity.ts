// What happens when a stored blob turns out damaged (issue #17): found by the server before a chunk
// left (server.ts), by the local API while streaming it (verified-read.ts), or by the scrub
// (scrub.ts). The damaged copy is removed at once — so it is neither served nor counted as held —
// and fetched again from the members that hold it, verified chunk by chunk like any fetch. A repair
// that finds no holder stays pending and is tried again at the next scrub pass (and joins any fetch
// of the same blob meanwhile). `mycel status` (stats.blob.integrity) and /metrics count what was
// found and what was fixed.

import { digestText, type BlobStore } from './store.js'
import type { Logger } from '../log.js'
import type { BlobRef } from './refs.js'
import type { BlobTarget } from './types.js'
import { BLOB_REPAIR_WAIT_MS, MAX_DAMAGED_TRACKED } from './integrity-limits.js'

export interface BlobIntegrityComponents {
  blobs: Pick<BlobStore, 'remove'>
  /** The live reference of a blob (its target), if a live key names it. */
  refOf: (hex: string) => BlobRef | undefined
  /** Makes the bytes local again, fetching from holders (BlobService.ensureLocal). */
  fetch: (target: BlobTarget, waitMs: number) => Promise<void>
  log: Logger
  /** Wall ms. Default Date.now. */
  now?: () => number
}

export interface IntegrityStats {
  /** Damaged copies found (each removed at once). */
  found: number
  /** Of them, fetched again and verified. */
  repaired: number
  /** Repair attempts that found no holder in time (retried at the next scrub pass). */
  repairFailures: number
  /** Damaged copies no live key references any more: removed, not fetched again. */
  dropped: number
  /** Damaged and not yet repaired, now. */
  pending: number
}

interface Damage {
  chunk: number
  where: string
  atMs: number
  /**
   * The damaged copy's removal. A repair waits for it: the scrub retries pending repairs at the end of
   * its pass, which can come before the removal is done, and a repair that saw the damaged file still
   * there took it for repaired (and the copy was then gone for good).
   */
  removed: Promise<void>
  repairing?: Promise<void>
}

export class BlobIntegrity {
  readonly stats: IntegrityStats = { found: 0, repaired: 0, repairFailures: 0, dropped: 0, pending: 0 }
  private readonly c: BlobIntegrityComponents
  private readonly damaged = new Map<string, Damage>()
  private stopped = false

  constructor (components: BlobIntegrityComponents) {
    this.c = components
  }

  /** A damaged copy: removed now, fetched again in the background. Repeated reports of one blob count once. */
  report (digest: Uint8Array, chunk: number, where: 'served' | 'api' | 'scrub'): void {
    const hex = Buffer.from(digest).toString('hex')
    if (this.damaged.has(hex) || this.stopped) return
    this.stats.found++
    if (this.damaged.size >= MAX_DAMAGED_TRACKED) this.damaged.delete(this.damaged.keys().next().value as string)
    const removed = this.c.blobs.remove(digest)
    this.damaged.set(hex, { chunk, where, atMs: (this.c.now ?? Date.now)(), removed })
    this.stats.pending = this.damaged.size
    this.c.log.warn('blob copy damaged on disk: removed, fetching it again from holders', { digest: digestText(digest), chunk, where })
    removed.then(() => { this.repair(hex) }, err => { this.c.log.error('could not remove a damaged blob copy', { digest: digestText(digest), err }) })
  }

  /** Why a blob is not here, if it was found damaged and is not repaired yet (for error messages). */
  describe (digest: Uint8Array): string | undefined {
    const d = this.damaged.get(Buffer.from(digest).toString('hex'))
    if (d === undefined) return undefined
    return `the copy here was found damaged at ${new Date(d.atMs).toISOString()} (chunk ${d.chunk} did not match its manifest) and removed; it is being fetched again from holders`
  }

  /** Tries again every repair still pending (the scrub calls it once per pass). */
  retryPending (): void {
    for (const hex of this.damaged.keys()) this.repair(hex)
  }

  /** Waits for the repairs running now (tests, stop). */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.damaged.values()].map(async d => { await d.repairing }))
  }

  stop (): void {
    this.stopped = true
  }

  private repair (hex: string): void {
    const d = this.damaged.get(hex)
    if (d === undefined || d.repairing !== undefined || this.stopped) return
    const ref = this.c.refOf(hex)
    if (ref === undefined) {
      this.stats.dropped++
      this.forget(hex)
      return
    }
    const target = ref.target()
    d.repairing = d.removed.then(async () => { await this.c.fetch(target, BLOB_REPAIR_WAIT_MS) }).then(() => {
      this.stats.repaired++
      this.forget(hex)
      this.c.log.info('damaged blob copy repaired from holders', { digest: digestText(ref.digest) })
    }, err => {
      this.stats.repairFailures++
      d.repairing = undefined
      this.c.log.warn('could not repair a damaged blob copy yet (tried again at the next scrub)', { digest: digestText(ref.digest), err: String(err) })
    })
  }

  private forget (hex: string): void {
    this.damaged.delete(hex)
    this.stats.pending = this.damaged.size
  }
}
