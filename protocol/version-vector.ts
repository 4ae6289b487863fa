// Per-author coverage. `covered(a)` = n means: for every event of author a with
// seq ≤ n, this replica holds it or holds a winner that supersedes it. Events
// that arrive ahead of a gap (eager push is unordered) are remembered as
// pending and the watermark advances once the gap closes, or when an
// anti-entropy sender vouches for the range (see ThroughEntry).

import { MAX_PENDING_SEQS_PER_AUTHOR } from './limits.js'
import type { VersionVectorEntries } from './messages.js'

export class VersionVector {
  private readonly marks = new Map<string, number>()
  private readonly pending = new Map<string, Set<number>>()
  /** entries() is asked for on every anti-entropy message; rebuild it only after a change. */
  private cached: VersionVectorEntries | undefined
  /**
   * The last entries() built. A rebuild reuses its tuples where the mark has
   * not moved (authors keep their positions: marks are never deleted), so it
   * copies pointers instead of allocating a tuple per author — with a thousand
   * writers every anti-entropy message would otherwise allocate a thousand.
   * Tuples are never mutated, so messages in flight keep what was sent.
   */
  private last: VersionVectorEntries = []
  /** Bumped on every change of a mark, so callers can cache what they derive from it. */
  version = 0

  constructor (entries: VersionVectorEntries = []) {
    for (const [author, seq] of entries) {
      this.marks.set(author, seq)
    }
  }

  covered (author: string): number {
    return this.marks.get(author) ?? 0
  }

  /** Has this (author, seq) been seen: covered or pending? */
  has (author: string, seq: number): boolean {
    return seq <= this.covered(author) || (this.pending.get(author)?.has(seq) ?? false)
  }

  /**
   * Records one received event. Returns false when it could not be tracked
   * (too many pending past a gap): the caller must not treat it as seen.
   */
  add (author: string, seq: number, changed: Set<string>): boolean {
    const mark = this.covered(author)
    if (seq <= mark) return true
    if (seq === mark + 1) {
      this.setMark(author, seq)
      changed.add(author)
      this.drain(author, changed)
      return true
    }
    let set = this.pending.get(author)
    if (set === undefined) { set = new Set(); this.pending.set(author, set) }
    if (set.size >= MAX_PENDING_SEQS_PER_AUTHOR) return false
    set.add(seq)
    return true
  }

  /** Raises the watermark to `to` when it is at least `from` (a sender's vouch). */
  advance (author: string, from: number, to: number, changed: Set<string>): void {
    const mark = this.covered(author)
    if (mark < from || to <= mark) return
    this.setMark(author, to)
    changed.add(author)
    const set = this.pending.get(author)
    if (set !== undefined) for (const s of set) if (s <= to) set.delete(s)
    this.drain(author, changed)
  }

  /** Restores pending entries after a restart (events stored past a gap). */
  notePending (author: string, seq: number): void {
    this.add(author, seq, new Set())
  }

  /** The marks as entries; the array is shared and must not be modified. */
  entries (): VersionVectorEntries {
    if (this.cached === undefined) {
      const last = this.last
      const out: VersionVectorEntries = []
      for (const [author, seq] of this.marks) {
        const prev = last[out.length]
        out.push(prev !== undefined && prev[1] === seq && prev[0] === author ? prev : [author, seq])
      }
      this.cached = out
      this.last = out
    }
    return this.cached
  }

  /** Whether any author has events held above a gap. */
  hasPending (): boolean {
    return this.pending.size > 0
  }

  isPending (author: string): boolean {
    return this.pending.has(author)
  }

  /** Authors with events held above a gap in their sequence. */
  pendingAuthors (): IterableIterator<string> {
    return this.pending.keys()
  }

  private setMark (author: string, seq: number): void {
    this.marks.set(author, seq)
    this.cached = undefined
    this.version++
  }

  entry (author: string): [string, number] {
    return [author, this.covered(author)]
  }

  /** Number of authors with a mark. */
  get size (): number {
    return this.marks.size
  }

  authors (): IterableIterator<string> {
    return this.marks.keys()
  }

  private drain (author: string, changed: Set<string>): void {
    const set = this.pending.get(author)
    if (set === undefined) return
    let mark = this.covered(author)
    while (set.delete(mark + 1)) mark++
    if (mark !== this.covered(author)) { this.setMark(author, mark); changed.add(author) }
    if (set.size === 0) this.pending.delete(author)
  }
}

/** Events `theirs` covers beyond `ours` (what we lack), summed over authors. */
export function lagBetween (ours: VersionVectorEntries, theirs: VersionVectorEntries): number {
  const mine = new Map(ours)
  let lag = 0
  for (const [author, seq] of theirs) lag += Math.max(0, seq - (mine.get(author) ?? 0))
  return lag
}
