// Per-author coverage. `covered(a)` = n means: for every event of author a with
// seq ≤ n, this replica holds it or holds a winner that supersedes it. Events
// that arrive ahead of a gap (eager push is unordered) are remembered as
// pending and the watermark advances once the gap closes, or when an
// anti-entropy sender vouches for the range (see ThroughEntry).

import { MAX_PENDING_SEQS_PER_AUTHOR } from './limits.js'
import type { VersionVectorEntries } from './messages.js'

export class VersionVector {
  /**
   * Each author gets a slot when first marked (marks are never deleted): its
   * mark lives in `seqs`, a packed array of numbers, so `covered` — asked for
   * every event received and every entry of every peer's vector — reads one
   * number after one map lookup.
   */
  private readonly slots = new Map<string, number>()
  private readonly names: string[] = []
  private readonly seqs: number[] = []
  private readonly pending = new Map<string, Set<number>>()
  /**
   * What entries() returns: one tuple per slot. It is handed out on every
   * anti-entropy message and must never change once handed out (messages in
   * flight keep what was sent), so the first change after that copies the
   * array of pointers; only slots whose mark moved get a new tuple, at the
   * next entries(). With a thousand writers, rebuilding it by walking every
   * mark read a thousand cold tuples per message.
   */
  private tuples: VersionVectorEntries = []
  private shared = false
  private readonly dirty: number[] = []
  private readonly isDirty: boolean[] = []
  /** Bumped on every change of a mark, so callers can cache what they derive from it. */
  version = 0

  constructor (entries: VersionVectorEntries = []) {
    for (const [author, seq] of entries) this.setMark(author, seq)
    this.version = 0
  }

  covered (author: string): number {
    const i = this.slots.get(author)
    return i === undefined ? 0 : this.seqs[i]
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
    if (this.dirty.length > 0) {
      if (this.shared) { this.tuples = this.tuples.slice(); this.shared = false }
      for (const i of this.dirty) {
        this.tuples[i] = [this.names[i], this.seqs[i]]
        this.isDirty[i] = false
      }
      this.dirty.length = 0
    }
    this.shared = true
    return this.tuples
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
    let i = this.slots.get(author)
    if (i === undefined) {
      i = this.names.length
      this.slots.set(author, i)
      this.names.push(author)
      this.seqs.push(seq)
      this.isDirty.push(false)
    } else this.seqs[i] = seq
    if (!this.isDirty[i]) { this.isDirty[i] = true; this.dirty.push(i) }
    this.version++
  }

  entry (author: string): [string, number] {
    return [author, this.covered(author)]
  }

  /** Number of authors with a mark. */
  get size (): number {
    return this.names.length
  }

  authors (): IterableIterator<string> {
    return this.names.values()
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
