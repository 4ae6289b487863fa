// The simulator's agenda: a binary min-heap of (time, sequence) → action.
// Ties at the same virtual millisecond run in insertion order, so a run never
// depends on how the heap happens to break them. Nothing here knows about
// nodes or messages; everything that happens in a run is one of these entries.
//
// The heap keeps its keys in one typed array (time and sequence side by side)
// rather than in an object per entry: a big run has ~10⁵ entries pending, and
// sifting through entry objects scattered over the heap missed the cache at
// every level. An entry may carry a number and an object for its action
// (atCall), so a hot caller — the network, one entry per message — needs no
// closure per entry either.

export type Action = () => void

/** An action that takes the number and object it was scheduled with. */
export type CallAction<T> = (n: number, o: T) => void

type AnyCall = (n: number, o: unknown) => void

const INITIAL_CAPACITY = 1024

export class EventQueue {
  /** keys[2i] = time, keys[2i + 1] = sequence of heap slot i. */
  private keys = new Float64Array(2 * INITIAL_CAPACITY)
  private nums = new Float64Array(INITIAL_CAPACITY)
  private readonly actions: AnyCall[] = []
  private readonly objs: unknown[] = []
  private length = 0
  private seq = 0
  private nowMs = 0
  private executed = 0

  /** Current virtual time (ms since the start of the run). */
  now (): number {
    return this.nowMs
  }

  size (): number {
    return this.length
  }

  /** How many actions have run; a cheap measure of simulation work. */
  steps (): number {
    return this.executed
  }

  /** Runs `action` at virtual time `at` (never before now). */
  at (at: number, action: Action): void {
    this.push(at, action, 0, undefined)
  }

  /** Runs `action(n, o)` at virtual time `at` (never before now). */
  atCall<T> (at: number, action: CallAction<T>, n: number, o: T): void {
    this.push(at, action as AnyCall, n, o)
  }

  after (delayMs: number, action: Action): void {
    this.at(this.nowMs + delayMs, action)
  }

  /** Time of the next entry, or Infinity. */
  peekTime (): number {
    return this.length === 0 ? Infinity : this.keys[0] as number
  }

  /** Runs every action due at or before `untilMs`, then sets the clock to `untilMs`. */
  runUntil (untilMs: number, stop?: () => boolean): void {
    while (this.length > 0 && (this.keys[0] as number) <= untilMs) {
      this.nowMs = this.keys[0] as number
      const action = this.actions[0] as AnyCall
      const n = this.nums[0] as number
      const o = this.objs[0]
      this.popTop()
      this.executed++
      action(n, o)
      if (stop !== undefined && stop()) return
    }
    if (untilMs > this.nowMs) this.nowMs = untilMs
  }

  private push (at: number, action: AnyCall, n: number, o: unknown): void {
    const t = Math.max(at, this.nowMs)
    const s = this.seq++
    if (this.length === this.nums.length) this.grow()
    const k = this.keys
    let i = this.length++
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pt = k[2 * parent] as number
      if (pt < t || (pt === t && (k[2 * parent + 1] as number) < s)) break
      this.move(parent, i)
      i = parent
    }
    k[2 * i] = t
    k[2 * i + 1] = s
    this.nums[i] = n
    this.actions[i] = action
    this.objs[i] = o
  }

  /** Removes slot 0: the last slot sifts down from the root. */
  private popTop (): void {
    const last = --this.length
    const k = this.keys
    const t = k[2 * last] as number
    const s = k[2 * last + 1] as number
    const n = this.length
    let i = 0
    if (n > 0) {
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        let c = l
        const r = l + 1
        if (r < n) {
          const rt = k[2 * r] as number
          const lt = k[2 * l] as number
          if (rt < lt || (rt === lt && (k[2 * r + 1] as number) < (k[2 * l + 1] as number))) c = r
        }
        const ct = k[2 * c] as number
        if (!(ct < t || (ct === t && (k[2 * c + 1] as number) < s))) break
        this.move(c, i)
        i = c
      }
      this.move(last, i)
    }
    // Let the actions and objects of run entries be collected.
    this.actions[last] = noop
    this.objs[last] = undefined
  }

  private move (from: number, to: number): void {
    const k = this.keys
    k[2 * to] = k[2 * from] as number
    k[2 * to + 1] = k[2 * from + 1] as number
    this.nums[to] = this.nums[from] as number
    this.actions[to] = this.actions[from] as AnyCall
    this.objs[to] = this.objs[from]
  }

  private grow (): void {
    const keys = new Float64Array(2 * this.keys.length)
    keys.set(this.keys)
    this.keys = keys
    const nums = new Float64Array(2 * this.nums.length)
    nums.set(this.nums)
    this.nums = nums
  }
}

function noop (): void {}
