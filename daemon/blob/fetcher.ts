// One download of one blob from several holders.
//
//   FetchJob ── PartialBlob (file + bitmap under blobs/partial/, resumes)
//      │ state[i]: missing / in flight / have — each chunk is in flight to at most one holder
//      └─ per holder: one PeerChannel, up to REQUESTS_IN_FLIGHT lanes, each asking a range of chunks
//         at a time (≤ IN_FLIGHT_BYTES outstanding per holder; see constants.ts). Across holders
//         the job keeps about REQUESTS_IN_FLIGHT ranges out (but two per holder at least, the
//         rest with the holders that answer ranges fastest), so three holders cost the fetcher
//         little more than one.
//
// A holder may have only part of the blob (it is downloading it too): it is
// asked only for chunks its bitmap shows, and its bitmap is asked again while
// it has nothing we lack, so a fetch takes what a nearer or faster site has
// already verified instead of waiting for the origin.
//
// Lanes take the next missing range from a shared cursor, so a fast holder
// takes more ranges and a slow one fewer; a holder that fails (stream error,
// stall, too many bad chunks) drops out and its unfinished chunks go back to
// the pool for the others. When nothing is left to take, idle holders are
// also asked for chunks that have lingered with a slow one (end game), so a
// fetch is never stuck behind one slow site. A chunk that does not hash to the manifest's entry
// is dropped, counted against its sender and fetched again. When every chunk
// is here the file is fsynced, the whole digest checked and the file renamed
// into the blob store. If all holders drop out first, run() throws UNAVAILABLE
// and the partial file stays for the next attempt.

import { MycelError, isMycelError } from '../../protocol/errors.js'
import type { BlobStore } from './store.js'
import type { PeerChannel } from './client.js'
import { ENDGAME_AFTER_MS, IN_FLIGHT_BYTES, MAX_BAD_CHUNKS_PER_HOLDER, RANGE_BYTES, RANGE_CHUNKS_MAX, REQUESTS_IN_FLIGHT } from './constants.js'
import { PartialBlob } from './partial.js'
import { BITMAP_REFRESH_MS, PartialHolders } from './partial-holders.js'
import { TakeOrder } from './take-order.js'
import type { Manifest } from './manifest.js'
import type { FetchProgress, HolderStats, PartialView } from './types.js'

/**
 * Ranges every holder may keep out whatever the job's bound: with one, a holder's pipe ran dry
 * between its ranges (the next request went out only after the last `end` was read), and three
 * holders were at times half as fast as one.
 */
const MIN_RANGES_PER_HOLDER = 2

/** A holder must answer ranges this much faster than another to take one of its slots (hysteresis). */
const OUTPACE_FACTOR = 1.25

const MISSING = 0
const IN_FLIGHT = 1
const HAVE = 2

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
}

export class FetchJob {
  readonly manifest: Manifest
  readonly progress: FetchProgress
  private readonly c: FetchJobComponents
  private partial: PartialBlob | undefined
  /** Holders added before run() opened the partial file, and whether each had only part of the blob. */
  private readonly early = new Map<string, boolean>()
  /** Holders with only part of the blob, and which part. */
  private partials = new PartialHolders(new Uint8Array(0), 0, 0)
  private ended = (): void => {}
  /** Resolves when run() ends: idle lanes of partial holders wait on it. */
  private readonly endedPromise = new Promise<void>(resolve => { this.ended = resolve })
  private state = new Uint8Array(0)
  /** A position in the take order: every chunk before it in that order is here or in flight. */
  private cursor = 0
  private order = new TakeOrder(0)
  /** What `view` returns: one object for the whole run (the server tells downloads apart by it). */
  private served: PartialView | undefined
  private readonly workers = new Map<string, Promise<void>>()
  private readonly channels = new Set<PeerChannel>()
  /** Chunks received and not yet verified and written, from every holder (bounded by CHUNKS_PROCESSING_MAX). */
  private readonly processing = new Set<Promise<void>>()
  private done = false
  /** Ranges asked and not yet answered, in all and per holder (bounded by `lanes`, at least MIN_RANGES_PER_HOLDER per holder). */
  private rangesOut = 0
  private readonly rangesOf = new Map<string, number>()
  private readonly rates = new Map<string, number>()
  /** Lanes with nothing to take, waiting for a chunk to come back or the job to end. */
  private waiting: Array<() => void> = []

  private readonly rangeChunks: number
  private readonly lanes: number
  private readonly endgameAfterMs: number
  private readonly shuffleSeed: number | undefined
  /** Per chunk: the holder it was asked of, since when (ms), and whether a second holder was asked. */
  private owner: Array<string | undefined> = []
  private since = new Float64Array(0)
  private stolen = new Uint8Array(0)

  constructor (manifest: Manifest, components: FetchJobComponents, init: FetchJobInit = {}) {
    this.manifest = manifest
    this.endgameAfterMs = init.endgameAfterMs ?? ENDGAME_AFTER_MS
    this.shuffleSeed = init.shuffleSeed
    this.rangeChunks = Math.min(RANGE_CHUNKS_MAX, Math.max(1, Math.floor(RANGE_BYTES / manifest.chunkSize)))
    this.lanes = Math.min(REQUESTS_IN_FLIGHT, Math.max(1, Math.floor(IN_FLIGHT_BYTES / (this.rangeChunks * manifest.chunkSize))))
    this.c = components
    this.progress = { size: manifest.size, bytesHave: 0, bytesReceived: 0, chunksReceived: 0, duplicates: 0, endgameChunks: 0, badChunks: 0, startedMs: Date.now(), holders: {} }
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
    this.state = Uint8Array.from(partial.have, h => h === 1 ? HAVE : MISSING)
    this.owner = new Array(this.state.length)
    this.since = new Float64Array(this.state.length)
    this.stolen = new Uint8Array(this.state.length)
    this.order = new TakeOrder(this.state.length, this.shuffleSeed, this.rangeChunks)
    // A chunk another site is fetching is left to it as long as a chunk is left with a slow holder.
    this.partials = new PartialHolders(this.manifest.digest, this.state.length, this.endgameAfterMs)
    const state = this.state
    this.served = {
      manifest: partial.manifest,
      have: partial.have,
      path: partial.path,
      get chunksHave () { return partial.chunksHave },
      coming: () => this.done ? new Uint8Array(state.length) : Uint8Array.from(state, s => s === IN_FLIGHT ? 1 : 0)
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
    if (this.partial === undefined) { this.early.set(peer, (this.early.get(peer) ?? true) && partial); return }
    if (!partial) this.partials.remove(peer)
    if (this.done || this.workers.has(peer) || this.progress.holders[peer]?.failed !== undefined) return
    if (partial) this.partials.add(peer)
    this.progress.holders[peer] ??= { chunks: 0, bytes: 0, badChunks: 0 }
    const worker = this.work(peer).finally(() => {
      this.workers.delete(peer)
      this.partials.remove(peer) // what it has is no longer to be had from it
      this.notify()
    })
    this.workers.set(peer, worker)
  }

  /** Stops every holder (the caller's deadline passed); run() then throws UNAVAILABLE. */
  abort (reason: string): void {
    for (const ch of this.channels) ch.abort(new MycelError('CLOSED', reason))
    this.notify()
  }

  private async work (peer: string): Promise<void> {
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
      const lanes = Array.from({ length: this.lanes }, async () => { await this.lane(peer, channel, stats) })
      await Promise.all(lanes)
    } catch (err) {
      stats.failed ??= String(err)
    } finally {
      channel.close()
      this.channels.delete(channel)
    }
  }

  private async lane (peer: string, channel: PeerChannel, stats: HolderStats): Promise<void> {
    for (;;) {
      if (channel.failed || stats.failed !== undefined) throw new MycelError('UNAVAILABLE', stats.failed ?? 'channel failed')
      await this.partials.refreshIfDue(peer, channel)
      const mine = this.rangesOf.get(peer) ?? 0
      if (mine >= MIN_RANGES_PER_HOLDER && this.rangesOut >= this.lanes && !(this.rangesOut === this.lanes && this.outpaces(peer))) {
        // The job's ranges in flight are all out (each holder keeps MIN_RANGES_PER_HOLDER): several
        // holders together have little more on the way than one would, so more holders do not mean
        // much more memory or contention at the fetcher. A holder clearly faster than another may
        // take one range more (at most one over the bound); a holder with extra ranges gives them up
        // as they end, so the extra slots go to the fastest holders.
        if (this.done || (this.partial as PartialBlob).complete) return
        await this.changed(this.endgameAfterMs / 2)
        continue
      }
      const range = this.take(peer) ?? this.steal(peer)
      if (range === undefined) {
        // Everything left is in flight elsewhere: wait in case some of it comes back, or lingers
        // long enough to be asked of us too (end game).
        if (this.done || (this.partial as PartialBlob).complete) return
        if (!this.partials.has(peer)) {
          await this.changed(this.endgameAfterMs / 2)
        } else {
          // What it lacks only a new bitmap can bring: not woken by every chunk written here.
          this.partials.markStale(peer)
          await Promise.race([this.endedPromise, new Promise(resolve => { setTimeout(resolve, BITMAP_REFRESH_MS).unref() })])
        }
        continue
      }
      const [from, to] = range
      const received = new Set<number>()
      this.rangesOut++
      this.rangesOf.set(peer, mine + 1)
      const askedMs = Date.now()
      try {
        const partial = this.partial as PartialBlob
        await channel.get(this.manifest.digest, from, to, async (i, data) => {
          await this.receive(peer, stats, i, data, from, to, received)
        }, bytes => partial.spareBuffer(bytes))
      } catch (err) {
        // A partial holder without a chunk its bitmap showed (its download started over): ask anew.
        if (!isMycelError(err, 'NOT_FOUND') || !this.partials.refused(peer)) throw err
      } finally {
        // Whatever of the range did not arrive goes back to the pool (unless another holder was asked first).
        for (let i = from; i < to; i++) if (this.state[i] === IN_FLIGHT && this.owner[i] === peer && !received.has(i)) this.giveBack(i)
        this.rangesOut--
        this.rangesOf.set(peer, (this.rangesOf.get(peer) ?? 1) - 1)
        if (received.size > 0) this.noteRate(peer, received.size / Math.max(1, Date.now() - askedMs))
        this.notify()
      }
      if (stats.failed !== undefined) throw new MycelError('UNAVAILABLE', stats.failed)
    }
  }

  private async receive (peer: string, stats: HolderStats, i: number, data: Uint8Array, from: number, to: number, received: Set<number>): Promise<void> {
    if (stats.failed !== undefined) throw new MycelError('UNAVAILABLE', stats.failed)
    this.progress.bytesReceived += data.byteLength
    this.progress.chunksReceived++
    const partial = this.partial as PartialBlob
    if (i < from || i >= to || received.has(i)) throw new MycelError('DECODE_FAILED', `${peer} sent chunk ${i} outside ${from}..${to - 1}`)
    received.add(i)
    // Already here, or another copy (end game) is being written: this one is a duplicate.
    if (this.state[i] === HAVE || partial.have[i] !== 0) { this.progress.duplicates++; return }
    const bytes = data.byteLength
    let ok: boolean
    try {
      // Verified against the manifest, then written, on the partial's worker thread. The frame's
      // buffer is handed over (a channel gives each chunk its own; see wire.ts readFrames).
      ok = await partial.accept(i, data, { transfer: true })
    } catch (err) {
      this.giveBack(i) // the disk failed: the chunk is not here after all
      throw err
    }
    if (!ok) {
      stats.badChunks++
      this.progress.badChunks++
      this.giveBack(i)
      if (stats.badChunks >= MAX_BAD_CHUNKS_PER_HOLDER) {
        stats.failed = `${stats.badChunks} chunks that did not match the manifest`
        throw new MycelError('INVALID_EVENT', `${peer} sent ${stats.badChunks} bad chunks`)
      }
      return
    }
    this.state[i] = HAVE
    if (this.partials.has(peer)) stats.partialChunks = (stats.partialChunks ?? 0) + 1
    stats.chunks++
    stats.bytes += bytes
    this.progress.bytesHave += bytes
    this.notify()
  }

  /** Chunks per ms of each holder's ranges (a moving average): how the fetch tells the fastest holders. */
  private noteRate (peer: string, rate: number): void {
    const old = this.rates.get(peer)
    this.rates.set(peer, old === undefined ? rate : old * 0.7 + rate * 0.3)
  }

  /** True if `peer` answers ranges clearly faster than some other holder with a range out. */
  private outpaces (peer: string): boolean {
    const mine = this.rates.get(peer)
    if (mine === undefined) return false
    for (const [other, n] of this.rangesOf) {
      const theirs = this.rates.get(other)
      if (other !== peer && n >= 1 && theirs !== undefined && mine > theirs * OUTPACE_FACTOR) return true
    }
    return false
  }

  /** Resolves at the next chunk written or given back, or after timeoutMs. */
  private changed (timeoutMs: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(resolve, timeoutMs)
      this.waiting.push(() => { clearTimeout(timer); resolve() })
    })
  }

  private notify (): void {
    for (const wake of this.waiting.splice(0)) wake()
  }

  /**
   * Chunks per range: RANGE_BYTES' worth, fewer while several holders share the job's IN_FLIGHT_BYTES
   * (each keeps MIN_RANGES_PER_HOLDER out), so three holders have about as much on the way as one.
   */
  private rangeSize (): number {
    const ranges = Math.max(this.lanes, MIN_RANGES_PER_HOLDER * this.workers.size)
    return Math.max(1, Math.min(this.rangeChunks, Math.floor(IN_FLIGHT_BYTES / (ranges * this.manifest.chunkSize))))
  }

  /**
   * The next run of up to rangeSize() missing chunks (that `peer` has, if it has only part), marked in
   * flight to it: the first one wanted at or after the cursor in the take order, and those after it on
   * disk. The cursor only moves over chunks here or in flight, at the start of each take.
   */
  private take (peer: string): [number, number] | undefined {
    if (this.done) return undefined
    const n = this.state.length
    while (this.cursor < n && this.state[this.order.at(this.cursor)] !== MISSING) this.cursor++
    const has = this.partials.chunksOf(peer)
    const now = Date.now()
    // A holder with the whole blob is not asked for chunks a partial holder has or has been fetching
    // for less than the end game's patience: that holder sends them (the origin's uplink is often what
    // is scarce). Should it stall on them, the end game asks others once they have lingered.
    const elsewhere = has === undefined && this.partials.size > 0
    const wanted = (i: number): boolean => this.state[i] === MISSING && (has === undefined ? !(elsewhere && this.partials.covers(i, now)) : has[i] === 1)
    let j = this.cursor
    while (j < n && !wanted(this.order.at(j))) j++
    if (j >= n) return undefined
    // A range is contiguous on disk; the cursor moves past it at the next take.
    const from = this.order.at(j)
    let to = from
    const size = this.rangeSize()
    while (to < n && to - from < size && wanted(to)) {
      this.state[to] = IN_FLIGHT
      this.owner[to] = peer
      this.since[to] = now
      to++
    }
    return [from, to]
  }

  /**
   * End game: nothing is left to take, but chunks have been in flight to another holder for over
   * endgameAfterMs. Ask `peer` for a run of them too (once per chunk): whichever copy arrives first
   * is written, the other is counted as a duplicate. This is the only way a chunk is received twice.
   */
  private steal (peer: string): [number, number] | undefined {
    if (this.done) return undefined
    const n = this.state.length
    const old = Date.now() - this.endgameAfterMs
    const has = this.partials.chunksOf(peer)
    const stealable = (i: number): boolean => this.state[i] === IN_FLIGHT && this.owner[i] !== peer && this.stolen[i] === 0 && (this.since[i] as number) <= old && (has === undefined || has[i] === 1)
    let from = 0
    while (from < n && !stealable(from)) from++
    if (from >= n) return undefined
    let to = from
    while (to < n && to - from < this.rangeChunks && stealable(to)) this.stolen[to++] = 1
    this.progress.endgameChunks += to - from
    return [from, to]
  }

  private giveBack (i: number): void {
    this.state[i] = MISSING
    const j = this.order.positionOf(i)
    if (j < this.cursor) this.cursor = j
    this.notify()
  }
}
