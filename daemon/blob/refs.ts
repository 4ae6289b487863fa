// Which live put winners reference which blob: digest hex → the keys whose
// winning put names it, with the size, manifest hash and authors those puts
// carry. Built from the core's live winners at start and kept current by the
// observer (every new winner of a key, with the winner it replaced). A digest
// whose last key goes away is remembered with the time, so the collector can
// delete its bytes after a grace period; one that gains a key again is spared. An event the core
// removes (its author was revoked after it) hands its key back to the winner before it (removed()).

import type { Event, PutBody } from '../../protocol/event.js'
import { fewAdd, fewDelete, fewHas, fewSize, fewValues, type Few } from './few-strings.js'
import type { BlobTarget } from './types.js'

/** One referenced blob. Its keys and authors are `Few` values in fields of its own (one object a digest). */
export class BlobRef {
  /** The chunk manifest's sha-256 in hex (see `manifest`). */
  private manifestHex: string | undefined = undefined
  private keySet: Few = undefined
  /** Authors of the referencing puts: they held the bytes when they wrote. */
  private authorSet: Few = undefined

  /**
   * `hex`: the digest as the index's key (the same string, so it costs the ref nothing). Not the put's
   * digest itself: that is a view into the put's envelope, and would keep its whole buffer alive after
   * the state let go of it (a cooled event: protocol/compact-event.ts).
   */
  constructor (readonly hex: string, readonly size: number) {}

  /** The sha-256 of the bytes (a fresh array each time). */
  get digest (): Uint8Array { return bytesOfHex(this.hex) }

  /**
   * sha-256 of the chunk manifest, from the newest put that carried one (a fresh array each time).
   * Kept as hex: a copy of 32 bytes in an array of its own costs ~230 bytes, the string ~90.
   */
  get manifest (): Uint8Array | undefined { return this.manifestHex === undefined ? undefined : bytesOfHex(this.manifestHex) }
  set manifest (m: Uint8Array | undefined) { this.manifestHex = m === undefined ? undefined : hexOf(m) }

  /** The keys whose winning put names this blob (do not change what this returns). */
  keys (): Iterable<string> { return fewValues(this.keySet) }

  get keyCount (): number { return fewSize(this.keySet) }

  /** The authors of those puts. */
  authors (): Iterable<string> { return fewValues(this.authorSet) }

  hasAuthor (author: string): boolean { return fewHas(this.authorSet, author) }

  addKey (key: string): void { this.keySet = fewAdd(this.keySet, key) }

  addAuthor (author: string): void { this.authorSet = fewAdd(this.authorSet, author) }

  deleteKey (key: string): void { this.keySet = fewDelete(this.keySet, key) }

  /** What a fetch of these bytes is given: the blob, and the authors that held it when they wrote. */
  target (): BlobTarget {
    return { digest: this.digest, size: this.size, manifest: this.manifest, authors: [...this.authors()] }
  }
}

export function hexOf (digest: Uint8Array): string {
  return Buffer.from(digest).toString('hex')
}

/** The bytes hexOf made the string of, in an array of their own (not a view into Buffer's shared pool). */
export function bytesOfHex (hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'))
}

export class BlobRefs {
  private readonly refs = new Map<string, BlobRef>()
  /** hex → time (ms) since when nothing references it. */
  private readonly orphans = new Map<string, number>()

  /** Rebuild from the live winners (at start). */
  load (live: Event[]): void {
    for (const e of live) if (e.body.kind === 'put') this.add(e as Event & { body: PutBody })
  }

  /** The observer's report: `event` now wins its key, `previous` lost it. */
  applied (event: Event, previous: Event | undefined, nowMs: number): void {
    if (previous?.body.kind === 'put') this.drop(previous.body.key, previous.body.digest, nowMs)
    if (event.body.kind === 'put') this.add(event as Event & { body: PutBody })
  }

  /** The observer's other report: `event` was removed (invalidated); `winner` wins its key now, if anything does. */
  removed (event: Event, winner: Event | undefined, nowMs: number): void {
    if (event.body.kind === 'put') this.drop(event.body.key, event.body.digest, nowMs)
    if (winner?.body.kind === 'put') this.add(winner as Event & { body: PutBody })
  }

  get (hex: string): BlobRef | undefined {
    return this.refs.get(hex)
  }

  referenced (hex: string): boolean {
    return this.refs.has(hex)
  }

  /** A blob is on disk that may be unreferenced (after a fetch, or found at start). */
  noteStored (hex: string, nowMs: number): void {
    if (!this.refs.has(hex) && !this.orphans.has(hex)) this.orphans.set(hex, nowMs)
  }

  /** Orphans whose grace has passed; they leave the list (the caller deletes them). */
  takeExpired (nowMs: number, graceMs: number): string[] {
    const out: string[] = []
    for (const [hex, since] of this.orphans) {
      if (nowMs - since >= graceMs) {
        this.orphans.delete(hex)
        if (!this.refs.has(hex)) out.push(hex)
      }
    }
    return out
  }

  get size (): number { return this.refs.size }
  get orphanCount (): number { return this.orphans.size }

  all (): IterableIterator<BlobRef> { return this.refs.values() }

  private add (event: Event & { body: PutBody }): void {
    const body = event.body
    const hex = hexOf(body.digest)
    let ref = this.refs.get(hex)
    if (ref === undefined) {
      ref = new BlobRef(hex, body.size)
      this.refs.set(hex, ref)
    }
    ref.addKey(body.key)
    ref.addAuthor(event.author)
    if (body.manifest !== undefined) ref.manifest = body.manifest
    this.orphans.delete(hex)
  }

  private drop (key: string, digest: Uint8Array, nowMs: number): void {
    const hex = hexOf(digest)
    const ref = this.refs.get(hex)
    if (ref === undefined) return
    ref.deleteKey(key)
    if (ref.keyCount === 0) {
      this.refs.delete(hex)
      this.orphans.set(hex, nowMs)
    }
  }
}
