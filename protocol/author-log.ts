// The events this replica can serve, indexed by author and sequence number.
// It holds exactly the current winners (superseded events are removed, so the
// log is O(keys), not O(writes)), which lets anti-entropy answer "events of
// author a after seq n" in O(d) without scanning the whole state.

import type { Event } from './event.js'

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
  /** Live events. */
  size = 0

  add (e: Event): void {
    const n = this.seqs.length
    if (n === 0 || e.seq > this.seqs[n - 1]) { this.seqs.push(e.seq); this.events.push(e); this.size++; return }
    const i = lowerBound(this.seqs, e.seq)
    if (this.seqs[i] === e.seq) {
      if (this.events[i] === undefined) { this.events[i] = e; this.size++ } // a removed seq came back
      return
    }
    this.seqs.splice(i, 0, e.seq)
    this.events.splice(i, 0, e)
    this.size++
  }

  remove (seq: number): void {
    const i = lowerBound(this.seqs, seq)
    if (this.seqs[i] !== seq || this.events[i] === undefined) return
    this.events[i] = undefined
    this.size--
    // Keep the last element live, so last() is exact (anti-entropy asks it for every author a peer lags on).
    while (this.events.length > 0 && this.events[this.events.length - 1] === undefined) { this.events.pop(); this.seqs.pop() }
    // Compact lazily: removals are frequent (every superseded write), splices are O(n).
    const dead = this.seqs.length - this.size
    if (dead > 64 && dead * 2 > this.seqs.length) {
      const seqs: number[] = []
      const events: Event[] = []
      for (let j = 0; j < this.events.length; j++) {
        const e = this.events[j]
        if (e !== undefined) { seqs.push(this.seqs[j]); events.push(e) }
      }
      this.seqs = seqs
      this.events = events
    }
  }

  /** The highest seq held, or 0. */
  last (): number {
    return this.seqs.length === 0 ? 0 : this.seqs[this.seqs.length - 1]
  }

  /** Lazy, so a caller that stops early (a byte-bounded response) pays only for what it takes. */
  * after (seq: number, through: number): Generator<Event> {
    const seqs = this.seqs
    const events = this.events
    for (let i = lowerBound(seqs, seq + 1); i < seqs.length; i++) {
      if (seqs[i] > through) break
      const e = events[i]
      if (e !== undefined) yield e
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
    return this.authors_.get(author)?.last() ?? 0
  }

  /** Events of `author` with from < seq ≤ through, ascending. */
  range (author: string, from: number, through: number): Event[] {
    return [...this.iterate(author, from, through)]
  }

  /**
   * The same, lazily: anti-entropy stops after a byte budget (~16 000 small
   * events), and materialising the whole rest of a 100 000-event author for
   * every response made serving a catch-up quadratic.
   */
  iterate (author: string, from: number, through: number): Iterable<Event> {
    return this.authors_.get(author)?.after(from, through) ?? []
  }
}

function lowerBound (arr: number[], x: number): number {
  let lo = 0
  let hi = arr.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (arr[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo
}
