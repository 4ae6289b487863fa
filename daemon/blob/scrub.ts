// The periodic scrub (issue #17): every `intervalMs` the daemon re-hashes each blob it holds against
// its manifest, reading at most `bytesPerSec`, and hands any damaged copy to BlobIntegrity, which
// removes it and fetches it again from other holders. Repairs still pending are retried at the end of
// each pass. The first pass starts one interval after the daemon does; passes never overlap.

import { isMycelError } from '../../protocol/errors.js'
import type { Logger } from '../log.js'
import { isDamaged } from './chunk-check.js'
import type { BlobIntegrity } from './integrity.js'
import { bytesOfHex } from './refs.js'
import type { BlobStore } from './store.js'
import { UploadRate } from './upload-rate.js'
import { sleep } from '../time.js'
import type { Cancel, Timers } from '../../protocol/ports.js'
import { openVerified, type VerifiedReadComponents } from './verified-read.js'

export interface BlobScrubInit {
  /** Time between the end of one pass and the start of the next; 0 turns the scrub off. */
  intervalMs: number
  /** Bytes read per second, at most. */
  bytesPerSec: number
}

export interface BlobScrubComponents extends VerifiedReadComponents {
  blobs: Pick<BlobStore, 'pathOf' | 'verify' | 'list'>
  integrity: Pick<BlobIntegrity, 'report' | 'retryPending'>
  log: Logger
  /** The pass timer and the read rate's clock (injected time: daemon/time.ts, or a test's). */
  timers: Timers
}

export interface ScrubStats {
  passes: number
  blobsChecked: number
  bytesChecked: number
  damagedFound: number
  /** Duration of the last complete pass (ms); -1 before the first. */
  lastPassMs: number
  running: boolean
}

export class BlobScrub {
  readonly stats: ScrubStats = { passes: 0, blobsChecked: 0, bytesChecked: 0, damagedFound: 0, lastPassMs: -1, running: false }
  private readonly init: BlobScrubInit
  private readonly c: BlobScrubComponents
  private readonly rate: UploadRate
  private cancel: Cancel | undefined
  private stopped = false
  private passing: Promise<void> | undefined

  constructor (init: BlobScrubInit, components: BlobScrubComponents) {
    this.init = init
    this.c = components
    this.rate = new UploadRate(init.bytesPerSec, { now: () => components.timers.monoMs(), sleep: async ms => { await sleep(components.timers, ms) } })
  }

  start (): void {
    if (this.init.intervalMs > 0) this.schedule()
  }

  async stop (): Promise<void> {
    this.stopped = true
    this.cancel?.()
    await this.passing?.catch(() => {})
  }

  /** One pass over every held blob (the timer runs it; tests may too). */
  async pass (): Promise<void> {
    this.passing ??= this.runPass().finally(() => { this.passing = undefined })
    await this.passing
  }

  private schedule (): void {
    if (this.stopped) return
    this.cancel = this.c.timers.after(this.init.intervalMs, () => {
      this.pass().catch(err => { this.c.log.warn('blob scrub pass failed', { err: String(err) }) }).finally(() => { this.schedule() })
    })
  }

  private async runPass (): Promise<void> {
    const started = this.c.timers.monoMs()
    this.stats.running = true
    try {
      for (const hex of await this.c.blobs.list().catch(() => [] as string[])) {
        if (this.stopped) return
        if (!/^[0-9a-f]{64}$/.test(hex)) continue
        await this.check(bytesOfHex(hex))
      }
      this.c.integrity.retryPending()
      this.stats.passes++
      this.stats.lastPassMs = Math.round(this.c.timers.monoMs() - started)
    } finally {
      this.stats.running = false
    }
  }

  private async check (digest: Uint8Array): Promise<void> {
    try {
      const { chunks } = await openVerified(this.c, digest)
      for await (const chunk of chunks) {
        this.stats.bytesChecked += chunk.byteLength
        await this.rate.take(chunk.byteLength)
        if (this.stopped) return
      }
      this.stats.blobsChecked++
    } catch (err) {
      if (isDamaged(err)) {
        this.stats.damagedFound++
        this.c.integrity.report(digest, Number(err.details?.chunk), 'scrub')
      } else if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !isMycelError(err, 'CLOSED')) {
        this.c.log.warn('blob scrub could not read a blob', { digest: Buffer.from(digest).toString('hex'), err: String(err) })
      }
    }
  }
}
