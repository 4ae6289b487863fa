// The simulator's agenda: a binary min-heap of (time, sequence) → action.
// Ties at the same virtual millisecond run in insertion order, so a run never
// depends on how the heap happens to break them. Nothing here knows about
// nodes or messages; everything that happens in a run is one of these entries.
//
// The heap keeps its keys in one typed array (time, sequence, payload slot)
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
  /** Heap slot i: keys[3i] = time, keys[3i + 1] = sequence, keys[3i + 2] = the entry's payload slot. */
  private keys = new Float64Array(3 * INITIAL_CAPACITY)
  /**
   * Payloads stay in their slot while the heap sifts keys (numbers only, no
   * pointer stores with their write barrier); a run entry's slot is reused.
   */
  private readonly actions: AnyCall[] = []
  private readonly objs: unknown[] = []
  private nums = new Float64Array(INITIAL_CAPACITY)
  private free: number[] = []
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
      const slot = this.keys[2] as number
      const action = this.actions[slot] as AnyCall
      const o = this.objs[slot]
      const n = this.nums[slot] as number
      this.actions[slot] = noop
      this.objs[slot] = undefined
      this.free.push(slot)
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
    let slot = this.free.pop()
    if (slot === undefined) {
      slot = this.actions.length
      if (slot === this.nums.length) this.grow()
      this.actions.push(action)
      this.objs.push(o)
    } else {
      this.actions[slot] = action
      this.objs[slot] = o
    }
    this.nums[slot] = n
    const k = this.keys
    let i = this.length++
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pt = k[3 * parent] as number
      if (pt < t || (pt === t && (k[3 * parent + 1] as number) < s)) break
      k[3 * i] = pt
      k[3 * i + 1] = k[3 * parent + 1] as number
      k[3 * i + 2] = k[3 * parent + 2] as number
      i = parent
    }
    k[3 * i] = t
    k[3 * i + 1] = s
    k[3 * i + 2] = slot
  }

  /** Removes heap slot 0: the last heap slot sifts down from the root. */
  private popTop (): void {
    const n = --this.length
    if (n === 0) return
    const k = this.keys
    const t = k[3 * n] as number
    const s = k[3 * n + 1] as number
    const slot = k[3 * n + 2] as number
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      let c = l
      const r = l + 1
      if (r < n) {
        const rt = k[3 * r] as number
        const lt = k[3 * l] as number
        if (rt < lt || (rt === lt && (k[3 * r + 1] as number) < (k[3 * l + 1] as number))) c = r
      }
      const ct = k[3 * c] as number
      if (!(ct < t || (ct === t && (k[3 * c + 1] as number) < s))) break
      k[3 * i] = ct
      k[3 * i + 1] = k[3 * c + 1] as number
      k[3 * i + 2] = k[3 * c + 2] as number
      i = c
    }
    k[3 * i] = t
    k[3 * i + 1] = s
    k[3 * i + 2] = slot
  }

  /** Heap and payload slots grow together: at most one payload slot per pending entry. */
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
