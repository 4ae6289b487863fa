// One download of one blob from several holders: the I/O of it. Which chunk to
// ask of whom, and when, is the chunk scheduler's (chunk-scheduler.ts); this
// file opens the channels, runs the lanes the scheduler steers, asks partial
// holders' bitmaps, and hands the chunks that come to the partial file.
//
//   FetchJob ── PartialBlob (file + bitmap under blobs/partial/, resumes)
//      │     └─ ChunkScheduler (chunk states, take order, ranges out, end game, partial holders)
//      └─ per holder: one PeerChannel, up to `lanes` lanes, each asking one range of chunks at a
//         time (see constants.ts for the bounds)
//
// A holder that fails (stream error, stall, too many bad chunks) drops out and
// its unfinished chunks go back to the pool for the others. A chunk that does
// not hash to the manifest's entry is dropped, counted against its sender and
// fetched again. When every chunk is here the file is fsynced, the whole digest
// checked and the file renamed into the blob store. If all holders drop out
// first, run() throws UNAVAILABLE and the partial file stays for the next attempt.
//
// Time comes from the injected clock and timers, so the lanes' waits run in
// virtual time under test.

import { MycelError, isMycelError } from '../../protocol/errors.js'
import type { Cancel, Clock, Timers } from '../../protocol/ports.js'
import type { BlobStore } from './store.js'
import type { PeerChannel } from './client.js'
import { ChunkScheduler } from './chunk-scheduler.js'
import { MAX_BAD_CHUNKS_PER_HOLDER } from './constants.js'
import { PartialBlob } from './partial.js'
import type { Manifest } from './manifest.js'
import type { FetchProgress, HolderStats, PartialView } from './types.js'

export interface FetchJobInit {
  /** A chunk in flight this long to one holder may also be asked of an idle one. Default ENDGAME_AFTER_MS. */
  endgameAfterMs?: number
  /** Take blocks of chunks in an order shuffled by this seed instead of in chunk order (take-order.ts). */
  shuffleSeed?: number
}

export interface FetchJobComponents {
  blobs: BlobStore
  /** Opens a blob channel to a holder; `processing` is the job's, shared by all its channels (see ChannelInit). */
  open: (peer: string, processing: Set<Promise<void>>) => Promise<PeerChannel>
  /** progress.startedMs (wall clock). */
  clock: Pick<Clock, 'nowMs'>
  /** The lanes' waits and the scheduler's notion of now. */
  timers: Timers
  /** Told of every chunk's bytes as they arrive, by holder (peer-traffic.ts). */
  onReceived?: (peer: string, bytes: number) => void
}

export class FetchJob {
  readonly manifest: Manifest
  readonly progress: FetchProgress
  private readonly c: FetchJobComponents
  private readonly init: FetchJobInit
  private partial: PartialBlob | undefined
  private sched: ChunkScheduler | undefined
  /** Holders added before run() opened the partial file, and whether each had only part of the blob. */
  private readonly early = new Map<string, boolean>()
  private ended = (): void => {}
  /** Resolves when run() ends: idle lanes of partial holders wait on it. */
  private readonly endedPromise = new Promise<void>(resolve => { this.ended = resolve })
  /** What `view` returns: one object for the whole run (the server tells downloads apart by it). */
  private served: PartialView | undefined
  private readonly workers = new Map<string, Promise<void>>()
  private readonly channels = new Set<PeerChannel>()
  /** Bitmap requests under way, one per partial holder whatever its lanes. */
  private readonly refreshing = new Map<string, Promise<void>>()
  /** Chunks received and not yet verified and written, from every holder (bounded by CHUNKS_PROCESSING_MAX). */
  private readonly processing = new Set<Promise<void>>()
  private done = false
  /** Lanes with nothing to take, waiting for a chunk to come back or the job to end. */
  private waiting: Array<() => void> = []

  constructor (manifest: Manifest, components: FetchJobComponents, init: FetchJobInit = {}) {
    this.manifest = manifest
    this.init = init
    this.c = components
    this.progress = { size: manifest.size, bytesHave: 0, bytesReceived: 0, chunksReceived: 0, duplicates: 0, endgameChunks: 0, badChunks: 0, startedMs: components.clock.nowMs(), holders: {} }
  }

  /**
   * The download as the blob server sees it (it serves the verified chunks): while it runs, and after a
   * round that failed, whose file stays for the next round (so members can still pool what they have
   * while the origin is away); undefined once the file is gone (in the store, or discarded).
   */
  get view (): PartialView | undefined {
    return this.served
  }

  /**
   * Downloads from `holders` and `partialHolders` (those with part of the blob); more may be added while
   * it runs. Resolves once the blob is in the store.
   */
  async run (holders: string[], partialHolders: string[] = []): Promise<void> {
    const partial = await PartialBlob.open(this.c.blobs.rootDir, this.manifest)
    this.partial = partial
    const sched = new ChunkScheduler({ chunkSize: this.manifest.chunkSize, have: partial.have, endgameAfterMs: this.init.endgameAfterMs, shuffleSeed: this.init.shuffleSeed })
    this.sched = sched
    this.served = {
      manifest: partial.manifest,
      have: partial.have,
      path: partial.path,
      get chunksHave () { return partial.chunksHave },
      coming: () => sched.coming()
    }
    this.progress.bytesHave = partial.bytesHave
    try {
      // In the order they answered (the first takes the first ranges); whole holders before partial ones.
      const all = new Map<string, boolean>(holders.map(p => [p, false]))
      for (const [peer, part] of this.early) all.set(peer, (all.get(peer) ?? true) && part)
      for (const peer of partialHolders) if (!all.has(peer)) all.set(peer, true)
      for (const [peer, part] of all) this.addHolder(peer, part)
      while (!partial.complete) {
        if (this.workers.size === 0) {
          throw new MycelError('UNAVAILABLE', `no holder could supply the rest of the blob (${partial.chunksHave}/${partial.have.length} chunks here)`, { details: { holders: Object.keys(this.progress.holders) } })
        }
        await Promise.race(this.workers.values())
      }
      if (!await partial.finish()) {
        this.served = undefined
        await partial.discard()
        throw new MycelError('INTERNAL', 'every chunk verified but the whole digest did not: the manifest does not describe this blob')
      }
      await partial.close()
      await this.c.blobs.adopt(partial.path, this.manifest.digest)
      this.served = undefined // served from the store from now on
      await partial.discard()
    } finally {
      this.done = true
      sched.end()
      this.ended()
      this.notify()
      for (const ch of this.channels) ch.close()
      await partial.close().catch(() => {})
    }
  }

  /**
   * A holder learned of while running (a have answer, a retry round); before run() opened the partial,
   * it waits for it. `partial`: it has only part of the blob. A partial holder later found complete is
   * asked for anything from then on.
   */
  addHolder (peer: string, partial = false): void {
    const sched = this.sched
    if (sched === undefined) { this.early.set(peer, (this.early.get(peer) ?? true) && partial); return }
    if (!partial) sched.whole(peer)
    if (this.done || this.workers.has(peer) || this.progress.holders[peer]?.failed !== undefined) return
    sched.join(peer, partial)
    this.progress.holders[peer] ??= { chunks: 0, bytes: 0, badChunks: 0 }
    const worker = this.work(peer, sched).finally(() => {
      this.workers.delete(peer)
      sched.leave(peer) // what it has is no longer to be had from it
      this.notify()
    })
    this.workers.set(peer, worker)
  }

  /** Stops every holder (the caller's deadline passed); run() then throws UNAVAILABLE. */
  abort (reason: string): void {
    for (const ch of this.channels) ch.abort(new MycelError('CLOSED', reason))
    this.notify()
  }

  private async work (peer: string, sched: ChunkScheduler): Promise<void> {
    const stats = this.progress.holders[peer] as HolderStats
    let channel: PeerChannel
    try {
      channel = await this.c.open(peer, this.processing)
    } catch (err) {
      stats.failed = `could not open a stream: ${String(err)}`
      return
    }
    this.channels.add(channel)
    try {
      const lanes = Array.from({ length: sched.lanes }, async () => { await this.lane(peer, channel, stats, sched) })
      await Promise.all(lanes)
    } catch (err) {
      stats.failed ??= String(err)
    } finally {
      channel.close()
      this.channels.delete(channel)
    }
  }

  /** One lane of a holder: does what the scheduler says until it says stop (or the holder fails). */
  private async lane (peer: string, channel: PeerChannel, stats: HolderStats, sched: ChunkScheduler): Promise<void> {
    const timers = this.c.timers
    for (;;) {
      if (channel.failed || stats.failed !== undefined) throw new MycelError('UNAVAILABLE', stats.failed ?? 'channel failed')
      if (sched.bitmapDue(peer, timers.monoMs())) await this.refresh(peer, channel, sched)
      const step = sched.next(peer, timers.monoMs())
      if (step.kind === 'stop') return
      if (step.kind === 'wait') {
        await (step.until === 'change' ? this.changed(step.ms) : this.endOr(step.ms))
        continue
      }
      if (step.stolen) this.progress.endgameChunks += step.to - step.from
      await this.range(peer, channel, stats, sched, step.from, step.to)
      if (stats.failed !== undefined) throw new MycelError('UNAVAILABLE', stats.failed)
    }
  }

  /** Asks `peer` for chunks from..to-1 and takes what comes; whatever does not goes back to the pool. */
  private async range (peer: string, channel: PeerChannel, stats: HolderStats, sched: ChunkScheduler, from: number, to: number): Promise<void> {
    const received = new Set<number>()
    const askedMs = this.c.timers.monoMs()
    const partial = this.partial as PartialBlob
    try {
      await channel.get(this.manifest.digest, from, to, async (i, data) => {
        await this.receive(peer, stats, sched, i, data, from, to, received)
      }, bytes => partial.spareBuffer(bytes))
    } catch (err) {
      // A partial holder without a chunk its bitmap showed (its download started over): ask anew.
      if (!isMycelError(err, 'NOT_FOUND') || !sched.refused(peer)) throw err
    } finally {
      sched.rangeEnded(peer, from, to, received, askedMs, this.c.timers.monoMs())
      this.notify()
    }
  }

  /** Asks a partial holder's bitmap, once at a time whatever its lanes (they all wait for the answer). */
  private async refresh (peer: string, channel: PeerChannel, sched: ChunkScheduler): Promise<void> {
    let asking = this.refreshing.get(peer)
    if (asking === undefined) {
      asking = (async () => {
        try {
          const bitmap = await channel.bitmap(this.manifest.digest, this.manifest.chunks.length)
          sched.bitmapAnswered(peer, bitmap, this.c.timers.monoMs())
        } catch (err) {
          sched.bitmapFailed(peer, this.c.timers.monoMs())
          throw err
        } finally {
          this.refreshing.delete(peer)
        }
      })()
      this.refreshing.set(peer, asking)
    }
    await asking
  }

  private async receive (peer: string, stats: HolderStats, sched: ChunkScheduler, i: number, data: Uint8Array, from: number, to: number, received: Set<number>): Promise<void> {
    if (stats.failed !== undefined) throw new MycelError('UNAVAILABLE', stats.failed)
    this.progress.bytesReceived += data.byteLength
    this.progress.chunksReceived++
    this.c.onReceived?.(peer, data.byteLength)
    const partial = this.partial as PartialBlob
    if (i < from || i >= to || received.has(i)) throw new MycelError('DECODE_FAILED', `${peer} sent chunk ${i} outside ${from}..${to - 1}`)
    received.add(i)
    // Already here, or another copy (end game) is being written: this one is a duplicate.
    if (sched.has(i) || partial.have[i] !== 0) { this.progress.duplicates++; return }
    const bytes = data.byteLength
    let ok: boolean
    try {
      // Verified against the manifest, then written, on the partial's worker thread. The frame's
      // buffer is handed over (a channel gives each chunk its own; see wire.ts readFrames).
      ok = await partial.accept(i, data, { transfer: true })
    } catch (err) {
      this.giveBack(sched, i) // the disk failed: the chunk is not here after all
      throw err
    }
    if (!ok) {
      stats.badChunks++
      this.progress.badChunks++
      this.giveBack(sched, i)
      if (stats.badChunks >= MAX_BAD_CHUNKS_PER_HOLDER) {
        stats.failed = `${stats.badChunks} chunks that did not match the manifest`
        throw new MycelError('INVALID_EVENT', `${peer} sent ${stats.badChunks} bad chunks`)
      }
      return
    }
    sched.chunkWritten(i)
    if (sched.isPartial(peer)) stats.partialChunks = (stats.partialChunks ?? 0) + 1
    stats.chunks++
    stats.bytes += bytes
    this.progress.bytesHave += bytes
    this.notify()
  }

  private giveBack (sched: ChunkScheduler, i: number): void {
    sched.giveBack(i)
    this.notify()
  }

  /** Resolves at the next chunk written or given back (or range ended), or after timeoutMs. */
  private async changed (timeoutMs: number): Promise<void> {
    await new Promise<void>(resolve => {
      const cancel = this.c.timers.after(timeoutMs, resolve)
      this.waiting.push(() => { cancel(); resolve() })
    })
  }

  /** Resolves when the job ends, or after timeoutMs. */
  private async endOr (timeoutMs: number): Promise<void> {
    let cancel: Cancel = () => {}
    await Promise.race([this.endedPromise, new Promise<void>(resolve => { cancel = this.c.timers.after(timeoutMs, resolve) })])
    cancel()
  }

  private notify (): void {
    for (const wake of this.waiting.splice(0)) wake()
  }
}
