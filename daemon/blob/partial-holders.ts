// What the holders of part of a blob have, as one fetch knows it: members that
// are downloading the same blob and serve the chunks they have verified
// (wire.ts `bitmap`). A fetch asks such a holder only for chunks it has, and
// does not ask a holder of the whole blob for chunks one of them has or is
// fetching. Bitmaps are asked again when a holder had nothing we lacked (at
// most every BITMAP_REFRESH_MS) and in any case every BITMAP_MAX_AGE_MS.
// A chunk another holder says it is fetching is left to it only for a while
// (`trustComingMs`): one on a slow link, or one that says so of everything,
// cannot hold the fetch up.
//
// Pure: the fetcher asks the bitmaps (fetcher.ts) and hands the answers in,
// with the monotonic time, so the chunk scheduler's tests run in virtual time.

import type { ChunkBitmap } from './client.js'

/** A partial holder with nothing we lack is asked for its bitmap again after this long. */
export const BITMAP_REFRESH_MS = 250
/** ...and any partial holder at least this often: what it is fetching changes as it goes. */
const BITMAP_MAX_AGE_MS = 1_000

/**
 * Ranges a partial holder may refuse (chunk not there after all: its download restarted) before it is
 * dropped; each refusal costs a bitmap request, so a holder whose bitmap lies cannot keep us busy.
 */
const MAX_REFUSED_RANGES = 8

/** What a partial holder has (one byte per chunk, 1 if verified there) and is fetching. */
interface Availability {
  have: Uint8Array
  coming: Uint8Array
  /** Since when (monotonic ms) it has said it is fetching chunk i: it is believed for trustComingMs. */
  comingSince: Float64Array
  askedMs: number
  /** Ask again before the next take: it had nothing we lacked, or refused a range. */
  stale: boolean
  refused: number
}

export class PartialHolders {
  private readonly holders = new Map<string, Availability>()

  constructor (private readonly chunks: number, private readonly trustComingMs: number) {}

  get size (): number { return this.holders.size }

  has (peer: string): boolean { return this.holders.has(peer) }

  /** A holder of part of the blob; its bitmap is asked before its first range. */
  add (peer: string): void {
    this.holders.set(peer, { have: new Uint8Array(this.chunks), coming: new Uint8Array(this.chunks), comingSince: new Float64Array(this.chunks), askedMs: -Infinity, stale: true, refused: 0 })
  }

  /** It has the whole blob now, or is gone. */
  remove (peer: string): void { this.holders.delete(peer) }

  /** The chunks `peer` has (one byte each, 1 = there), or undefined if it is not a partial holder. */
  chunksOf (peer: string): Uint8Array | undefined { return this.holders.get(peer)?.have }

  /** True if some partial holder has chunk i, or has been fetching it for less than trustComingMs. */
  covers (i: number, nowMs: number): boolean {
    for (const a of this.holders.values()) {
      if (a.have[i] === 1 || (a.coming[i] === 1 && nowMs - (a.comingSince[i] as number) < this.trustComingMs)) return true
    }
    return false
  }

  /** It had nothing we lacked: ask again once BITMAP_REFRESH_MS has passed. */
  markStale (peer: string): void {
    const a = this.holders.get(peer)
    if (a !== undefined) a.stale = true
  }

  /** It refused a range its bitmap showed: true if that may pass (ask its bitmap again now), false once it has refused too often. */
  refused (peer: string): boolean {
    const a = this.holders.get(peer)
    if (a === undefined || ++a.refused > MAX_REFUSED_RANGES) return false
    a.stale = true
    a.askedMs = -Infinity
    return true
  }

  /** True if `peer`'s bitmap should be asked before its next range. */
  due (peer: string, nowMs: number): boolean {
    const a = this.holders.get(peer)
    if (a === undefined) return false
    const age = nowMs - a.askedMs
    return (a.stale && age >= BITMAP_REFRESH_MS) || age >= BITMAP_MAX_AGE_MS
  }

  /** Its bitmap came: what it has and is fetching; undefined if it has all of it now. */
  answered (peer: string, bitmap: ChunkBitmap | undefined, nowMs: number): void {
    const a = this.holders.get(peer)
    if (a === undefined) return
    if (bitmap === undefined) { this.holders.delete(peer); return }
    for (let i = 0; i < this.chunks; i++) if (bitmap.coming[i] === 1 && a.coming[i] !== 1) a.comingSince[i] = nowMs
    a.have = bitmap.have
    a.coming = bitmap.coming
    a.stale = false
    a.askedMs = nowMs
  }

  /** Asking its bitmap failed: not asked again before its time (the lane fails meanwhile). */
  unanswered (peer: string, nowMs: number): void {
    const a = this.holders.get(peer)
    if (a !== undefined) a.askedMs = nowMs
  }
}
