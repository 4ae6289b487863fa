// The events this replica can serve, indexed by author and sequence number.
// It holds exactly the current winners (superseded events are removed, so the
// log is O(keys), not O(writes)), which lets anti-entropy answer "events of
// author a after seq n" in O(d) without scanning the whole state.

import type { Event } from './event.js'
import { lowerBound } from './bisect.js'
import { xorInto } from './bytes.js'

/**
 * One author's events, as two parallel arrays sorted by seq: `seqs` (numbers,
 * so a binary search reads a packed array) and `events`, where a removed
 * event leaves `undefined` until the next compaction. No map: with a
 * thousand authors an author holds a handful of events, and every apply
 * removes one (the version it superseded), so the lookups must stay cheap.
 */
class AuthorEntries {
  private seqs: number[] = []
  private events: Array<Event | undefined> = []
  /**
   * Each event's encoded size, read when it is added (the event is at hand
   * then): a response sums sizes of events it does not otherwise look into.
   */
  private sizes: number[] = []
  /** Live events. */
  size = 0
  /** XOR of the ids of the live events: two replicas holding the same events of this author have the same. */
  readonly fp = new Uint8Array(32)
  /** The highest seq held, or 0 (kept as a field: anti-entropy asks it for every author a peer lags on). */
  last = 0

  add (e: Event): void {
    const n = this.seqs.length
    if (n === 0 || e.seq > this.seqs[n - 1]) {
      this.seqs.push(e.seq)
      this.events.push(e)
      this.sizes.push(e.bytes.length)
      this.size++
      this.last = e.seq
      xorInto(this.fp, e.id)
      return
    }
    const i = lowerBound(this.seqs, e.seq)
    if (this.seqs[i] === e.seq) {
      if (this.events[i] === undefined) { this.events[i] = e; this.sizes[i] = e.bytes.length; this.size++; xorInto(this.fp, e.id) } // a removed seq came back
      return
    }
    this.seqs.splice(i, 0, e.seq)
    this.events.splice(i, 0, e)
    this.sizes.splice(i, 0, e.bytes.length)
    this.size++
    xorInto(this.fp, e.id)
  }

  get (seq: number): Event | undefined {
    const i = lowerBound(this.seqs, seq)
    return this.seqs[i] === seq ? this.events[i] : undefined
  }


  /** Live events, newest first, while `take` returns true. */
  newestFirst (take: (e: Event) => boolean): void {
    for (let j = this.events.length - 1; j >= 0; j--) {
      const e = this.events[j]
      if (e !== undefined && !take(e)) return
    }
  }

  remove (seq: number): void {
    const i = lowerBound(this.seqs, seq)
    const gone = this.events[i]
    if (this.seqs[i] !== seq || gone === undefined) return
    this.events[i] = undefined
    this.size--
    xorInto(this.fp, gone.id)
    // Keep the last element live, so last() is exact (anti-entropy asks it for every author a peer lags on).
    while (this.events.length > 0 && this.events[this.events.length - 1] === undefined) { this.events.pop(); this.seqs.pop(); this.sizes.pop() }
    this.last = this.seqs.length === 0 ? 0 : this.seqs[this.seqs.length - 1]
    // Compact lazily: removals are frequent (every superseded write), splices are O(n).
    const dead = this.seqs.length - this.size
    if (dead > 64 && dead * 2 > this.seqs.length) {
      const seqs: number[] = []
      const events: Event[] = []
      const sizes: number[] = []
      for (let j = 0; j < this.events.length; j++) {
        const e = this.events[j]
        if (e !== undefined) { seqs.push(this.seqs[j]); events.push(e); sizes.push(this.sizes[j]) }
      }
      this.seqs = seqs
      this.events = events
      this.sizes = sizes
    }
  }

  /**
   * Calls take(event, encoded size) for from < seq ≤ through, ascending, until
   * it returns false. A response stops at its byte budget: materialising the
   * rest of a 100 000-event author for every response made serving a catch-up
   * quadratic. A callback, not a generator: a response walks a range for every
   * author the peer lags on and needs no object per walk.
   */
  forEach (from: number, through: number, take: (e: Event, size: number) => boolean): void {
    const seqs = this.seqs
    for (let i = lowerBound(seqs, from + 1); i < seqs.length; i++) {
      if (seqs[i] > through) return
      const e = this.events[i]
      if (e !== undefined && !take(e, this.sizes[i])) return
    }
  }
}

export class AuthorLog {
  private readonly authors_ = new Map<string, AuthorEntries>()

  add (e: Event): void {
    let entries = this.authors_.get(e.author)
    if (entries === undefined) { entries = new AuthorEntries(); this.authors_.set(e.author, entries) }
    entries.add(e)
  }

  remove (e: Pick<Event, 'author' | 'seq'>): void {
    const entries = this.authors_.get(e.author)
    if (entries === undefined) return
    entries.remove(e.seq)
    // Drop authors with nothing left: the map stays O(keys), not O(authors ever seen),
    // and lastSeq — asked for every author a peer lags on — misses in a small map.
    if (entries.size === 0) this.authors_.delete(e.author)
  }

  authors (): IterableIterator<string> {
    return this.authors_.keys()
  }

  /** The highest seq of `author` held, or 0: no event above it, so a range starting there is empty. */
  lastSeq (author: string): number {
    return this.authors_.get(author)?.last ?? 0
  }

  /** Calls take(event, encoded size) for events of `author` with from < seq ≤ through, ascending, until it returns false. */
  forEach (author: string, from: number, through: number, take: (e: Event, size: number) => boolean): void {
    this.authors_.get(author)?.forEach(from, through, take)
  }

  /** The live event (author, seq), if held. */
  get (author: string, seq: number): Event | undefined {
    return this.authors_.get(author)?.get(seq)
  }


  /** Per-author fingerprints of what is held (XOR of ids); shared arrays, not to be modified. */
  fingerprints (): Array<[string, Uint8Array]> {
    const out: Array<[string, Uint8Array]> = []
    for (const [a, entries] of this.authors_) out.push([a, entries.fp])
    return out
  }

  fingerprintOf (author: string): Uint8Array | undefined {
    return this.authors_.get(author)?.fp
  }

  /** Live events of `author`, newest first, while `take` returns true. */
  newestFirst (author: string, take: (e: Event) => boolean): void {
    this.authors_.get(author)?.newestFirst(take)
  }

  /** Events of `author` with from < seq ≤ through, ascending. */
  range (author: string, from: number, through: number): Event[] {
    const out: Event[] = []
    this.forEach(author, from, through, e => { out.push(e); return true })
    return out
  }
}
