// This node's disk use under <dir>/blobs (stored blobs, manifests, partial downloads, temp files),
// for `status` and the status page. Measured by walking the directory, which costs one stat per
// file: so at most once per DISK_USAGE_MAX_AGE_MS, and only when read (a status poll). A read gets
// the last measurement at once (null before the first) and starts the next one if it is stale.
// A walk of a million files takes seconds of the event loop's time (a promise per stat), so a
// measurement stays fresh for DISK_USAGE_COST_FACTOR times as long as the last walk took, if that
// is longer: a node polled for status spends at most about 1 % of its time walking (issue #25:
// walks every 10 s took a fifth of the publishing rate at a million keys).

import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { DISK_USAGE_COST_FACTOR, DISK_USAGE_MAX_AGE_MS } from './constants.js'

export interface DiskUsageView {
  /** Bytes of the files under <dir>/blobs (their sizes, not the blocks the filesystem gives them). */
  blobsBytes: number
  files: number
  /** When it was measured, ms since the epoch. */
  atMs: number
  /** How long the walk took, ms: the next one waits DISK_USAGE_COST_FACTOR times that, at least DISK_USAGE_MAX_AGE_MS. */
  tookMs: number
}

export interface DiskUsageComponents {
  nowMs: () => number
  log?: { warn: (msg: string, fields: Record<string, unknown>) => void }
}

export class DiskUsage {
  private last: DiskUsageView | null = null
  private measuring: Promise<void> | undefined

  constructor (private readonly root: string, private readonly c: DiskUsageComponents) {}

  /** The last measurement; starts a new one in the background if it is missing or stale. */
  snapshot (): DiskUsageView | null {
    const stale = this.last === null || this.c.nowMs() - this.last.atMs >= maxAgeMs(this.last.tookMs)
    if (stale && this.measuring === undefined) {
      this.measuring = this.measure()
        .catch(err => { this.c.log?.warn('could not measure the blob directory', { err }) })
        .finally(() => { this.measuring = undefined })
    }
    return this.last
  }

  /** Measures now (also what snapshot() starts); resolves when done. */
  async measure (): Promise<void> {
    const total = { bytes: 0, files: 0 }
    const startedMs = this.c.nowMs()
    await walk(this.root, total)
    const atMs = this.c.nowMs()
    this.last = { blobsBytes: total.bytes, files: total.files, atMs, tookMs: Math.max(0, atMs - startedMs) }
  }
}

/** How long a measurement that took `tookMs` stays fresh. */
export function maxAgeMs (tookMs: number): number {
  return Math.max(DISK_USAGE_MAX_AGE_MS, DISK_USAGE_COST_FACTOR * tookMs)
}

async function walk (dir: string, total: { bytes: number, files: number }): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) { await walk(path, total); continue }
    if (!e.isFile()) continue
    // A file removed between readdir and stat (collected, adopted) simply is not counted.
    const s = await stat(path).catch(() => undefined)
    if (s === undefined) continue
    total.bytes += s.size
    total.files++
  }
}
