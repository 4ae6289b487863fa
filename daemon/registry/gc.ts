// Garbage: a blob key (`oci/<repo>/_blobs/<digest>`) that no live manifest of
// its repository references is deleted once it has stayed so for the grace
// period, as seen by this site; the blob layer then collects the bytes when
// no key names them any more (its own grace). The grace covers a push in
// progress: layers are uploaded (and keyed) before the manifest that names
// them. A re-upload or mount rewrites the key's `at` prop, which starts the
// grace again. Referrers index keys whose manifest is gone go the same way.
//
// Every site runs it over the same metadata; two sites deleting the same key
// write the same tombstone. One race remains: a site deletes a blob key that
// a manifest pushed elsewhere has just come to reference (the delete and the
// push crossed). The next pass sees the live manifest and puts the key back,
// if this site deleted it within the grace and the federation still knows the
// bytes (the blob layer keeps them for its own grace after the last key).

import type { RegistryBackend } from './backend.js'
import { GC_LIST_BATCH, MAX_GC_WRITES_PER_PASS } from './constants.js'
import type { RegistryLog } from './context.js'
import { allReferrersPrefix, blobKey, blobsPrefix, manifestKey, manifestsPrefix } from './keys.js'
import { listRepositories } from './listing.js'
import { recordFromProps } from './manifest-record.js'

export interface RegistryGcInit {
  /** How long a blob key must stay unreferenced before it is deleted. Default DEFAULT_GC_GRACE_MS (1 h). */
  graceMs: number
  /** Period of the pass. Default DEFAULT_GC_INTERVAL_MS (5 min). */
  intervalMs: number
}

export interface RegistryGcComponents {
  backend: RegistryBackend
  now: () => number
  log: RegistryLog
}

export interface GcReport {
  repositories: number
  deleted: string[]
  repaired: string[]
}

export class RegistryGc {
  private readonly init: RegistryGcInit
  private readonly c: RegistryGcComponents
  /** key → (its `at` when first seen unreferenced, when). A key not seen unreferenced in a pass is forgotten. */
  private readonly unreferencedSince = new Map<string, { at: string, since: number }>()
  /** Blob keys this site deleted, and when: candidates for repair. */
  private readonly deletedAt = new Map<string, { digest: string, size: number, when: number }>()
  private timer: NodeJS.Timeout | undefined
  private running: Promise<GcReport> | undefined

  constructor (init: RegistryGcInit, components: RegistryGcComponents) {
    this.init = init
    this.c = components
  }

  start (): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => {
      this.collect().catch(err => { this.c.log('warn', 'registry gc pass failed', { err }) })
    }, this.init.intervalMs)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running?.catch(() => {})
  }

  /** One pass over every repository (one at a time: a pass already running is joined). */
  async collect (): Promise<GcReport> {
    this.running ??= this.pass().finally(() => { this.running = undefined })
    return await this.running
  }

  private async pass (): Promise<GcReport> {
    const report: GcReport = { repositories: 0, deleted: [], repaired: [] }
    const seen = new Set<string>()
    let last: string | undefined
    for (;;) {
      const page = listRepositories(this.c.backend, { n: GC_LIST_BATCH, ...(last === undefined ? {} : { last }) })
      for (const repo of page.items) {
        report.repositories++
        await this.collectRepo(repo, report, seen)
      }
      if (page.next === undefined) break
      last = page.next
    }
    for (const key of this.unreferencedSince.keys()) if (!seen.has(key)) this.unreferencedSince.delete(key)
    const now = this.c.now()
    for (const [key, d] of this.deletedAt) if (now - d.when > this.init.graceMs) this.deletedAt.delete(key)
    if (report.deleted.length + report.repaired.length > 0) this.c.log('info', 'registry gc', { deleted: report.deleted.length, repaired: report.repaired.length })
    return report
  }

  private async collectRepo (repo: string, report: GcReport, seen: Set<string>): Promise<void> {
    const referenced = new Set<string>()
    const manifests = new Set<string>()
    for (const m of this.all(manifestsPrefix(repo))) {
      manifests.add(m.digest)
      for (const d of recordFromProps(m.props).blobs) referenced.add(d)
    }
    await this.repair(repo, referenced, manifests, report)
    const now = this.c.now()
    for (const b of this.all(blobsPrefix(repo))) {
      if (referenced.has(b.digest)) continue
      await this.consider(b.key, b.props.at ?? '', now, seen, report, { digest: b.digest, size: b.size })
    }
    for (const r of this.all(allReferrersPrefix(repo))) {
      if (manifests.has(r.digest)) continue
      await this.consider(r.key, '', now, seen, report)
    }
  }

  /** Deletes `key` once it has been unreferenced (with the same `at`) for the grace. */
  private async consider (key: string, at: string, now: number, seen: Set<string>, report: GcReport, blob?: { digest: string, size: number }): Promise<void> {
    seen.add(key)
    const mark = this.unreferencedSince.get(key)
    if (mark === undefined || mark.at !== at) {
      this.unreferencedSince.set(key, { at, since: now })
      return
    }
    if (now - mark.since < this.init.graceMs || this.budgetSpent(report)) return
    await this.c.backend.deleteKey(key)
    this.unreferencedSince.delete(key)
    if (blob !== undefined) this.deletedAt.set(key, { ...blob, when: now })
    report.deleted.push(key)
  }

  /** Puts back blob keys this site deleted that a live manifest references after all (see the race above). */
  private async repair (repo: string, referenced: Set<string>, manifests: Set<string>, report: GcReport): Promise<void> {
    for (const digest of referenced) {
      const key = blobKey(repo, digest)
      const deleted = this.deletedAt.get(key)
      if (deleted === undefined || this.budgetSpent(report)) continue
      if (this.c.backend.getKey(key) !== undefined || manifests.has(digest) || this.c.backend.getKey(manifestKey(repo, digest)) !== undefined) continue
      if (await this.c.backend.statBlob(digest) === undefined) continue
      await this.c.backend.putKey(key, { digest, size: deleted.size, props: { at: String(this.c.now()) } })
      this.deletedAt.delete(key)
      report.repaired.push(key)
    }
  }

  private budgetSpent (report: GcReport): boolean {
    return report.deleted.length + report.repaired.length >= MAX_GC_WRITES_PER_PASS
  }

  /** Every live key under a prefix, in batches. */
  private * all (prefix: string): Generator<{ key: string, digest: string, size: number, props: Record<string, string> }> {
    let after: string | undefined
    for (;;) {
      const page = this.c.backend.listKeys(prefix, { ...(after === undefined ? {} : { after }), limit: GC_LIST_BATCH })
      yield * page
      if (page.length < GC_LIST_BATCH) return
      after = page[page.length - 1].key
    }
  }
}
