// Eager mirroring: every put winner this node learns of (and every referenced
// blob missing at start) is queued; at most MIRROR_CONCURRENCY fetches run at
// once; a failed fetch is retried with growing delays (jittered) up to
// MIRROR_ATTEMPTS_MAX times while the policy still wants it. The core never
// waits on any of this: enqueue() only records a digest.

import { Fifo } from '../../protocol/fifo.js'
import type { Cancel, Random, Timers } from '../../protocol/ports.js'
import type { Logger } from '../log.js'
import { MAX_MIRROR_QUEUE, MIRROR_ATTEMPTS_MAX, MIRROR_CONCURRENCY, MIRROR_RETRY_MS_MAX, MIRROR_RETRY_MS_MIN } from './constants.js'

export interface MirrorComponents {
  /** Fetch the blob of this digest hex (resolves when stored, or at once if nothing is to be done). */
  fetch: (hex: string) => Promise<void>
  /** Does the policy want these bytes here now? */
  wanted: (hex: string) => boolean
  log: Logger
  /** The retry delays and their jitter. */
  timers: Timers
  random: Random
}

export class Mirror {
  readonly stats = { queued: 0, fetched: 0, failures: 0, dropped: 0 }
  private readonly c: MirrorComponents
  private readonly queue = new Fifo<string>()
  private readonly pending = new Set<string>()
  private readonly attempts = new Map<string, number>()
  private readonly retries = new Set<Cancel>()
  private active = 0
  private stopped = false

  constructor (components: MirrorComponents) {
    this.c = components
  }

  /** Blobs the policy wants here and the mirror has not stored yet: queued, being fetched, or waiting to retry. */
  get waiting (): number { return this.pending.size }

  enqueue (hex: string): void {
    if (this.stopped || this.pending.has(hex) || !this.c.wanted(hex)) return
    if (this.pending.size >= MAX_MIRROR_QUEUE) { this.stats.dropped++; return }
    this.pending.add(hex)
    this.queue.push(hex)
    this.stats.queued++
    this.pump()
  }

  stop (): void {
    this.stopped = true
    for (const cancel of this.retries) cancel()
    this.retries.clear()
    this.queue.clear()
  }

  private pump (): void {
    while (!this.stopped && this.active < MIRROR_CONCURRENCY && this.queue.length > 0) {
      const hex = this.queue.shift() as string
      if (!this.c.wanted(hex)) { this.pending.delete(hex); continue }
      this.active++
      this.c.fetch(hex).then(() => {
        this.stats.fetched++
        this.pending.delete(hex)
        this.attempts.delete(hex)
      }, err => {
        this.stats.failures++
        this.retry(hex, err)
      }).finally(() => {
        this.active--
        this.pump()
      })
    }
  }

  private retry (hex: string, err: unknown): void {
    const n = (this.attempts.get(hex) ?? 0) + 1
    if (this.stopped || n >= MIRROR_ATTEMPTS_MAX) {
      this.c.log.warn('mirror gave up on a blob (a fetch or the next put will try again)', { digest: `sha256:${hex}`, attempts: n, err: String(err) })
      this.pending.delete(hex)
      this.attempts.delete(hex)
      return
    }
    this.attempts.set(hex, n)
    const delayMs = Math.min(MIRROR_RETRY_MS_MAX, MIRROR_RETRY_MS_MIN * 2 ** (n - 1)) * (0.5 + this.c.random.float() / 2)
    const cancel = this.c.timers.after(delayMs, () => {
      this.retries.delete(cancel)
      this.queue.push(hex)
      this.pump()
    })
    this.retries.add(cancel)
  }
}
