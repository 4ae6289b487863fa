// The keys of LwwState in order, for paging (`ls`, GET /v1/keys?after=&limit=) without sorting
// the whole state per request.
//
// Two arrays of plain strings, no object per key: `sorted`, in order, and `recent`, the keys
// added since `sorted` was last rebuilt, in arrival order. Adding is a push. A read first
// settles: it sorts `recent` (V8's sort is a TimSort: a sorted run followed by k new keys
// costs a scan of the run and k log k, not a full sort), or, once `recent` has grown past a
// sixteenth of `sorted`, merges it in (one linear pass). Then it walks both from a binary
// search. A page therefore costs O(log n + what it reads) when nothing changed, and a rebuild
// of O(n) comes at most once per n/16 new keys.
//
// Entries are never removed one by one (a splice is O(n)): the owner says a key left
// (`removed`), and reads skip what its `has` denies. A key that left and came back is in
// the arrays twice; reads yield it once. Stale entries go at the next merge, or at once when
// they reach half the entries, so the arrays hold at most about two slots per key.
//
// The order is JavaScript's string order (UTF-16 code units), the order `live()` always had; it
// is also what `sort()` without a comparator does to strings, twice as fast as with one (1M
// keys: 0.65 s against 1.5 s on a loaded 2-core machine).

import { lowerBound, upperBound } from './bisect.js'

/** `recent` is merged into `sorted` once it is longer than `sorted.length / MERGE_RATIO`. */
const MERGE_RATIO = 16
/** Stale entries tolerated whatever the size, so a small index is not rebuilt on every removal. */
const STALE_SLACK = 1024

export class KeyIndex {
  private sorted: string[] = []
  private recent: string[] = []
  /** `recent` is in order (nothing was added since it was last sorted). */
  private recentSorted = true
  /** Entries whose key left (or was added again): dropped at the next rebuild. */
  private stale = 0

  /** `has(key)`: the key is still held; entries it denies are skipped and dropped. */
  constructor (private readonly has: (key: string) => boolean) {}

  /** A key that was not held is now (it may have been held before: see `removed`). */
  add (key: string): void {
    this.recent.push(key)
    this.recentSorted = false
  }

  /** A key is no longer held. */
  removed (): void {
    this.stale++
    if (this.stale > STALE_SLACK && this.stale * 2 > this.sorted.length + this.recent.length) this.rebuild()
  }

  /** Slots held (for tests and stats): at most about twice the keys held. */
  get slots (): number {
    return this.sorted.length + this.recent.length
  }

  /**
   * The held keys starting with `prefix` and greater than `after`, in order, each once. Reading
   * the state between two steps is fine; adding to or removing from this index is not (the
   * caller reads a page in one go).
   */
  * from (prefix: string, after?: string): Generator<string> {
    this.settle()
    const start = after !== undefined && after >= prefix ? after : undefined
    const a = this.sorted
    const b = this.recent
    let i = start === undefined ? lowerBound(a, prefix) : upperBound(a, start)
    let j = start === undefined ? lowerBound(b, prefix) : upperBound(b, start)
    let last: string | undefined
    while (i < a.length || j < b.length) {
      const key = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++]
      if (!key.startsWith(prefix)) return
      if (key === last || !this.has(key)) continue
      last = key
      yield key
    }
  }

  private settle (): void {
    if (this.recent.length * MERGE_RATIO > this.sorted.length) this.rebuild()
    else if (!this.recentSorted) this.recent.sort()
    this.recentSorted = true
  }

  /** One sorted array of the held keys, each once; `recent` empty. */
  private rebuild (): void {
    if (!this.recentSorted) this.recent.sort()
    const a = this.sorted
    const b = this.recent
    // Without a removal since the last rebuild every entry is held and none is twice: a plain merge.
    const check = this.stale > 0
    const out: string[] = []
    let i = 0
    let j = 0
    while (i < a.length || j < b.length) {
      const key = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++]
      if (!check || (key !== out[out.length - 1] && this.has(key))) out.push(key)
    }
    this.sorted = out
    this.recent = []
    this.recentSorted = true
    this.stale = 0
  }
}
