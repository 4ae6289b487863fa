// When each blob was last fetched or read here, kept across restarts for the quota's LRU order
// (quota.ts): `<dir>/blobs/last-used`, one line `<hex> <ms>` appended per use (a later line wins), and
// rewritten from memory (a temp file, renamed over it) once it holds more than about twice the lines
// it needs. Writes are appended in batches, one at a time, never fsynced: a crash loses the last
// few uses, and the order then falls back to earlier lines or to the files' mtimes — an eviction
// order slightly off, never a wrong byte. Memory: the lines waiting for a write (bounded), and during a
// rewrite one line per blob.

import { createReadStream } from 'node:fs'
import { appendFile, open, rename } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import type { Logger } from '../log.js'
import { QUOTA_JOURNAL_MAX_PENDING } from './constants.js'

const LINE = /^([0-9a-f]{64}) (\d{1,15})$/
/** Lines per write of a rewrite. */
const REWRITE_BATCH_LINES = 16_384

export class LastUsedJournal {
  private pending: string[] = []
  private flushQueued = false
  /** Bumped by each rewrite: a flush queued before it would append to the file the rewrite replaces. */
  private generation = 0
  private chain: Promise<void> = Promise.resolve()
  private lines = 0

  constructor (private readonly path: string, private readonly c: { log: Pick<Logger, 'warn'> }) {}

  /** Lines in the file (as read at start, plus those appended since). */
  get lineCount (): number { return this.lines }

  /** Each hex's latest time in the file (none if there is no file); lines that do not parse are skipped. */
  async read (): Promise<Map<string, number>> {
    const out = new Map<string, number>()
    let lines = 0
    try {
      for await (const line of createInterface({ input: createReadStream(this.path), crlfDelay: Infinity })) {
        lines++
        const m = LINE.exec(line)
        if (m === null) continue
        const ms = Number(m[2])
        const hex = m[1] as string
        if (ms > (out.get(hex) ?? -1)) out.set(hex, ms)
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.c.log.warn('could not read the last-used journal; LRU order from file times', { path: this.path, err: String(err) })
    }
    this.lines = lines
    return out
  }

  /** A use, appended with the next batch. Past QUOTA_JOURNAL_MAX_PENDING waiting lines it is dropped (it is only an ordering hint). */
  note (hex: string, ms: number): void {
    if (this.pending.length >= QUOTA_JOURNAL_MAX_PENDING) return
    this.pending.push(`${hex} ${Math.round(ms)}\n`)
    if (this.flushQueued) return
    this.flushQueued = true
    const generation = this.generation
    this.enqueue(async () => {
      // A rewrite was asked for since: its snapshot holds these uses, and what came after is the next flush's.
      if (generation !== this.generation) return
      this.flushQueued = false
      const batch = this.pending
      this.pending = []
      await appendFile(this.path, batch.join(''))
      this.lines += batch.length
    })
  }

  /** Replaces the file with these uses (read now, synchronously); uses noted meanwhile are appended after. */
  rewrite (uses: Iterable<[string, number]>): Promise<void> {
    // Uses noted so far are in `uses` (the caller's memory): the lines waiting for a flush go, and a
    // flush queued before this rewrite stands down; uses noted from now on are appended after it.
    this.generation++
    this.pending = []
    this.flushQueued = false
    const batches: string[] = []
    let batch: string[] = []
    let n = 0
    for (const [hex, ms] of uses) {
      batch.push(`${hex} ${Math.round(ms)}\n`)
      n++
      if (batch.length >= REWRITE_BATCH_LINES) { batches.push(batch.join('')); batch = [] }
    }
    if (batch.length > 0) batches.push(batch.join(''))
    return this.enqueue(async () => {
      const tmp = `${this.path}.tmp`
      const file = await open(tmp, 'w')
      try {
        for (const text of batches) await file.write(text)
        // On disk before it replaces the journal: a power loss after the rename must not leave an empty file.
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(tmp, this.path)
      this.lines = n
    })
  }

  /** Resolves when every write queued so far is done. */
  async settled (): Promise<void> {
    await this.chain
  }

  private enqueue (write: () => Promise<void>): Promise<void> {
    const done = this.chain.then(write).catch(err => { this.c.log.warn('could not write the last-used journal', { path: this.path, err: String(err) }) })
    this.chain = done
    return done
  }
}
