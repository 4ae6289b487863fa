// Which chunk of one blob to ask of which holder, and when: the decisions of a
// fetch, apart from its I/O (fetcher.ts) so they can be tested in virtual time.
// Pure: every call that depends on time is given the monotonic time; nothing
// here waits, reads a clock or touches a stream.
//
//   ChunkScheduler ── state[i]: missing / in flight (to owner[i], since[i]) / here
//        │            TakeOrder (take-order.ts): the order chunks are taken in, and a cursor in it
//        │            PartialHolders (partial-holders.ts): bitmaps of holders with part of the blob
//        └─ per holder: ranges out, and a rate (chunks per ms of its ranges, a moving average)
//
// A fetch runs a few lanes per holder. Each lane asks next(peer) what to do —
// ask a range, ask the holder's bitmap first, wait, or stop — and tells the
// scheduler what came of it (chunkWritten, giveBack, rangeEnded). The rules:
//
// - Ranges out: about `lanes` ranges in flight across all holders, but every
//   holder keeps MIN_RANGES_PER_HOLDER out, so three holders cost the fetcher
//   little more memory than one; a holder that answers ranges OUTPACE_FACTOR
//   faster than another with a range out may take one more (hysteresis, so the
//   extra slot does not flap between holders of about equal speed).
// - Take: the next run of missing chunks at or after the cursor in the take
//   order (that the holder has, if it has only part); a holder of the whole blob
//   is not asked for chunks a partial holder has or is fetching (for the end
//   game's patience at most: the origin's uplink is often what is scarce).
// - End game: when nothing is left to take, a chunk in flight to another holder
//   for endgameAfterMs may be asked of this one too (once per chunk).

import { ENDGAME_AFTER_MS, IN_FLIGHT_BYTES, RANGE_BYTES, RANGE_CHUNKS_MAX, REQUESTS_IN_FLIGHT } from './constants.js'
import type { ChunkBitmap } from './client.js'
import { BITMAP_REFRESH_MS, PartialHolders } from './partial-holders.js'
import { TakeOrder } from './take-order.js'

/**
 * Ranges every holder may keep out whatever the job's bound: with one, a holder's pipe ran dry
 * between its ranges (the next request went out only after the last `end` was read), and three
 * holders were at times half as fast as one.
 */
export const MIN_RANGES_PER_HOLDER = 2

/** A holder must answer ranges this much faster than another to take one of its slots (hysteresis). */
export const OUTPACE_FACTOR = 1.25

const MISSING = 0
const IN_FLIGHT = 1
const HAVE = 2

/** What a lane does next. */
export type LaneStep =
  /** Ask the holder for chunks from..to-1 (now in flight to it); `stolen`: asked of another holder first (end game). */
  | { kind: 'range', from: number, to: number, stolen: boolean }
  /** Wait `ms` at most: for a chunk written or given back ('change'), or only for the job's end ('end'). */
  | { kind: 'wait', ms: number, until: 'change' | 'end' }
  /** Every chunk is here, or the job is over. */
  | { kind: 'stop' }

export interface ChunkSchedulerInit {
  chunkSize: number
  /** Chunks already here (one byte each, 1 = here), e.g. from a resumed partial download. */
  have: Uint8Array
  /** A chunk in flight this long to one holder may also be asked of an idle one. Default ENDGAME_AFTER_MS. */
  endgameAfterMs?: number
  /** Take blocks of chunks in an order shuffled by this seed instead of in chunk order (take-order.ts). */
  shuffleSeed?: number
}

export class ChunkScheduler {
  /** Ranges one lane asks at most: RANGE_BYTES' worth (at least one chunk, at most RANGE_CHUNKS_MAX). */
  readonly rangeChunks: number
  /** The job's bound on ranges in flight, and lanes per holder. */
  readonly lanes: number
  readonly endgameAfterMs: number
  private readonly chunkSize: number
  private readonly state: Uint8Array
  private readonly owner: Array<string | undefined>
  private readonly since: Float64Array
  private readonly stolen: Uint8Array
  private readonly order: TakeOrder
  private readonly partials: PartialHolders
  /** A position in the take order: every chunk before it in that order is here or in flight. */
  private cursor = 0
  private here = 0
  private ended = false
  /** Holders working for the job (their lanes run). */
  private readonly holders = new Set<string>()
  private rangesOut = 0
  private readonly rangesOf = new Map<string, number>()
  private readonly rates = new Map<string, number>()

  constructor (init: ChunkSchedulerInit) {
    const n = init.have.length
    this.chunkSize = init.chunkSize
    this.endgameAfterMs = init.endgameAfterMs ?? ENDGAME_AFTER_MS
    this.rangeChunks = Math.min(RANGE_CHUNKS_MAX, Math.max(1, Math.floor(RANGE_BYTES / init.chunkSize)))
    this.lanes = Math.min(REQUESTS_IN_FLIGHT, Math.max(1, Math.floor(IN_FLIGHT_BYTES / (this.rangeChunks * init.chunkSize))))
    this.state = Uint8Array.from(init.have, h => h === 1 ? HAVE : MISSING)
    for (const s of this.state) if (s === HAVE) this.here++
    this.owner = new Array(n)
    this.since = new Float64Array(n)
    this.stolen = new Uint8Array(n)
    this.order = new TakeOrder(n, init.shuffleSeed, this.rangeChunks)
    // A chunk another site is fetching is left to it as long as a chunk is left with a slow holder.
    this.partials = new PartialHolders(n, this.endgameAfterMs)
  }

  get complete (): boolean { return this.here === this.state.length }

  /** Chunks asked of holders and not yet here (one byte each, 1 = on its way): what the server says is `coming`. */
  coming (): Uint8Array {
    return this.ended ? new Uint8Array(this.state.length) : Uint8Array.from(this.state, s => s === IN_FLIGHT ? 1 : 0)
  }

  /** The job is over: nothing more is taken. */
  end (): void { this.ended = true }

  /** A holder starts working for the job; `partial`: it has only part of the blob (its bitmap is asked first). */
  join (peer: string, partial: boolean): void {
    this.holders.add(peer)
    if (partial) this.partials.add(peer)
  }

  /** A holder's lanes have ended: what it has is no longer to be had from it. */
  leave (peer: string): void {
    this.holders.delete(peer)
    this.partials.remove(peer)
  }

  /** A holder said it has the whole blob (it finished its own download): asked for anything from now on. */
  whole (peer: string): void { this.partials.remove(peer) }

  isPartial (peer: string): boolean { return this.partials.has(peer) }

  /** True if `peer`'s bitmap should be asked (partial-holders.ts) before its lane goes on. */
  bitmapDue (peer: string, nowMs: number): boolean { return this.partials.due(peer, nowMs) }

  /** Its bitmap came (undefined: it has the whole blob now). */
  bitmapAnswered (peer: string, bitmap: ChunkBitmap | undefined, nowMs: number): void { this.partials.answered(peer, bitmap, nowMs) }

  bitmapFailed (peer: string, nowMs: number): void { this.partials.unanswered(peer, nowMs) }

  /** A partial holder refused a range its bitmap showed: true if that may pass (its bitmap is asked again), false to drop it. */
  refused (peer: string): boolean { return this.partials.refused(peer) }

  /** What `peer`'s lane does next; a range returned is in flight to it until rangeEnded. */
  next (peer: string, nowMs: number): LaneStep {
    const mine = this.rangesOf.get(peer) ?? 0
    if (mine >= MIN_RANGES_PER_HOLDER && this.rangesOut >= this.lanes && !(this.rangesOut === this.lanes && this.outpaces(peer))) {
      // The job's ranges in flight are all out (each holder keeps MIN_RANGES_PER_HOLDER): several
      // holders together have little more on the way than one would, so more holders do not mean
      // much more memory or contention at the fetcher. A holder clearly faster than another may
      // take one range more (at most one over the bound); a holder with extra ranges gives them up
      // as they end, so the extra slots go to the fastest holders.
      return this.idle(peer, false)
    }
    const taken = this.take(peer, nowMs)
    const range = taken ?? this.steal(peer, nowMs)
    if (range === undefined) return this.idle(peer, true)
    this.rangesOut++
    this.rangesOf.set(peer, mine + 1)
    return { kind: 'range', from: range[0], to: range[1], stolen: taken === undefined }
  }

  /** True if chunk i is here (a copy of it arriving now is a duplicate). */
  has (i: number): boolean { return this.state[i] === HAVE }

  /** Chunk i is verified and written. */
  chunkWritten (i: number): void {
    if (this.state[i] !== HAVE) this.here++
    this.state[i] = HAVE
  }

  /** Chunk i is not here after all (it did not verify, or the disk failed): it goes back to the pool. */
  giveBack (i: number): void {
    if (this.state[i] === HAVE) this.here--
    this.state[i] = MISSING
    const j = this.order.positionOf(i)
    if (j < this.cursor) this.cursor = j
  }

  /**
   * `peer`'s range from..to-1, asked at askedMs, has ended (answered, failed or given up): what of it did
   * not arrive goes back to the pool (unless another holder was asked first), and its rate is noted.
   */
  rangeEnded (peer: string, from: number, to: number, received: ReadonlySet<number>, askedMs: number, nowMs: number): void {
    for (let i = from; i < to; i++) if (this.state[i] === IN_FLIGHT && this.owner[i] === peer && !received.has(i)) this.giveBack(i)
    this.rangesOut--
    this.rangesOf.set(peer, (this.rangesOf.get(peer) ?? 1) - 1)
    if (received.size > 0) this.noteRate(peer, received.size / Math.max(1, nowMs - askedMs))
  }

  /** Nothing to take now: stop if the job is done; else wait for a change, or (a partial holder) for a new bitmap. */
  private idle (peer: string, nothingLeft: boolean): LaneStep {
    if (this.ended || this.complete) return { kind: 'stop' }
    // Everything left is in flight elsewhere: wait in case some of it comes back, or lingers long
    // enough to be asked of us too (end game).
    if (!nothingLeft || !this.partials.has(peer)) return { kind: 'wait', ms: this.endgameAfterMs / 2, until: 'change' }
    // What it lacks only a new bitmap can bring: not woken by every chunk written here.
    this.partials.markStale(peer)
    return { kind: 'wait', ms: BITMAP_REFRESH_MS, until: 'end' }
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

  /**
   * Chunks per range: RANGE_BYTES' worth, fewer while several holders share the job's IN_FLIGHT_BYTES
   * (each keeps MIN_RANGES_PER_HOLDER out), so three holders have about as much on the way as one.
   */
  private rangeSize (): number {
    const ranges = Math.max(this.lanes, MIN_RANGES_PER_HOLDER * this.holders.size)
    return Math.max(1, Math.min(this.rangeChunks, Math.floor(IN_FLIGHT_BYTES / (ranges * this.chunkSize))))
  }

  /**
   * The next run of up to rangeSize() missing chunks (that `peer` has, if it has only part), marked in
   * flight to it: the first one wanted at or after the cursor in the take order, and those after it on
   * disk. The cursor only moves over chunks here or in flight, at the start of each take.
   */
  private take (peer: string, nowMs: number): [number, number] | undefined {
    if (this.ended) return undefined
    const n = this.state.length
    while (this.cursor < n && this.state[this.order.at(this.cursor)] !== MISSING) this.cursor++
    const has = this.partials.chunksOf(peer)
    // A holder with the whole blob is not asked for chunks a partial holder has or has been fetching
    // for less than the end game's patience: that holder sends them (the origin's uplink is often what
    // is scarce). Should it stall on them, the end game asks others once they have lingered.
    const elsewhere = has === undefined && this.partials.size > 0
    const wanted = (i: number): boolean => this.state[i] === MISSING && (has === undefined ? !(elsewhere && this.partials.covers(i, nowMs)) : has[i] === 1)
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
      this.since[to] = nowMs
      to++
    }
    return [from, to]
  }

  /**
   * End game: nothing is left to take, but chunks have been in flight to another holder for
   * endgameAfterMs or more. Ask `peer` for a run of them too (once per chunk): whichever copy arrives
   * first is written, the other is counted as a duplicate. This is the only way a chunk is received twice.
   */
  private steal (peer: string, nowMs: number): [number, number] | undefined {
    if (this.ended) return undefined
    const n = this.state.length
    const old = nowMs - this.endgameAfterMs
    const has = this.partials.chunksOf(peer)
    const stealable = (i: number): boolean => this.state[i] === IN_FLIGHT && this.owner[i] !== peer && this.stolen[i] === 0 && (this.since[i] as number) <= old && (has === undefined || has[i] === 1)
    let from = 0
    while (from < n && !stealable(from)) from++
    if (from >= n) return undefined
    let to = from
    while (to < n && to - from < this.rangeChunks && stealable(to)) this.stolen[to++] = 1
    return [from, to]
  }
}
