// The simulator's agenda: a binary min-heap of (time, sequence) → action.
// Ties at the same virtual millisecond run in insertion order, so a run never
// depends on how the heap happens to break them. Nothing here knows about
// nodes or messages; everything that happens in a run is one of these entries.

export type Action = () => void

interface Entry {
  at: number
  seq: number
  action: Action
}

export class EventQueue {
  private readonly heap: Entry[] = []
  private seq = 0
  private nowMs = 0
  private executed = 0

  /** Current virtual time (ms since the start of the run). */
  now (): number {
    return this.nowMs
  }

  size (): number {
    return this.heap.length
  }

  /** How many actions have run; a cheap measure of simulation work. */
  steps (): number {
    return this.executed
  }

  /** Runs `action` at virtual time `at` (never before now). */
  at (at: number, action: Action): void {
    const entry: Entry = { at: Math.max(at, this.nowMs), seq: this.seq++, action }
    const h = this.heap
    h.push(entry)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent] as Entry
      if (!before(entry, p)) break
      h[i] = p
      i = parent
    }
    h[i] = entry
  }

  after (delayMs: number, action: Action): void {
    this.at(this.nowMs + delayMs, action)
  }

  /** Time of the next entry, or Infinity. */
  peekTime (): number {
    return this.heap.length === 0 ? Infinity : (this.heap[0] as Entry).at
  }

  /** Runs every action due at or before `untilMs`, then sets the clock to `untilMs`. */
  runUntil (untilMs: number, stop?: () => boolean): void {
    while (this.heap.length > 0 && (this.heap[0] as Entry).at <= untilMs) {
      const entry = this.pop()
      this.nowMs = entry.at
      this.executed++
      entry.action()
      if (stop !== undefined && stop()) return
    }
    if (untilMs > this.nowMs) this.nowMs = untilMs
  }

  private pop (): Entry {
    const h = this.heap
    const top = h[0] as Entry
    const last = h.pop() as Entry
    if (h.length > 0) {
      let i = 0
      const n = h.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let c = l
        if (r < n && before(h[r] as Entry, h[l] as Entry)) c = r
        if (!before(h[c] as Entry, last)) break
        h[i] = h[c] as Entry
        i = c
      }
      h[i] = last
    }
    return top
  }
}

function before (x: Entry, y: Entry): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq)
}
