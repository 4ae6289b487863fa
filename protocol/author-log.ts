// The events this replica can serve, indexed by author and sequence number.
// It holds exactly the current winners (superseded events are removed, so the
// log is O(keys), not O(writes)), which lets anti-entropy answer "events of
// author a after seq n" in O(d) without scanning the whole state.

import type { Event } from './event.js'

class AuthorEntries {
  /** Sorted ascending; may contain removed seqs until the next compaction. */
  private seqs: number[] = []
  private dead = 0
  readonly bySeq = new Map<number, Event>()

  add (e: Event): void {
    if (this.bySeq.has(e.seq)) return
    this.bySeq.set(e.seq, e)
    const last = this.seqs[this.seqs.length - 1]
    if (last === undefined || e.seq > last) { this.seqs.push(e.seq); return }
    const i = lowerBound(this.seqs, e.seq)
    if (this.seqs[i] === e.seq) { this.dead--; return } // a removed seq came back
    this.seqs.splice(i, 0, e.seq)
  }

  remove (seq: number): void {
    if (!this.bySeq.delete(seq)) return
    this.dead++
    // Keep the last element live, so last() is exact (anti-entropy asks it for every author a peer lags on).
    while (this.seqs.length > 0 && !this.bySeq.has(this.seqs[this.seqs.length - 1])) { this.seqs.pop(); this.dead-- }
    // Compact lazily: removals are frequent (every superseded write), splices are O(n).
    if (this.dead > 64 && this.dead * 2 > this.seqs.length) {
      this.seqs = this.seqs.filter(s => this.bySeq.has(s))
      this.dead = 0
    }
  }

  /** The highest seq held, or 0. */
  last (): number {
    return this.seqs.length === 0 ? 0 : this.seqs[this.seqs.length - 1]
  }

  /** Lazy, so a caller that stops early (a byte-bounded response) pays only for what it takes. */
  * after (seq: number, through: number): Generator<Event> {
    const seqs = this.seqs
    for (let i = lowerBound(seqs, seq + 1); i < seqs.length; i++) {
      const s = seqs[i]
      if (s > through) break
      const e = this.bySeq.get(s)
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
    if (entries.bySeq.size === 0) this.authors_.delete(e.author)
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
