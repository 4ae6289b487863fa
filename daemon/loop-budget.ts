// The event loop is shared: the local API, every peer's session and the timers run on it, so no one
// input may hold it for long (issue #17: one push of 15 000 badly signed events held it 2.5 s). Work
// that comes in pieces (a large message decoded and taken by the core a slice at a time) calls
// pace() between pieces; once the loop has run more than `sliceMs` since it last gave way, pace()
// yields with setImmediate, so pending I/O (an API request, other peers' frames) runs first.
//
// A promise chain that never awaits real I/O (a session's inbox handed to the core message after
// message) never gives way by itself: awaiting a resolved promise is a microtask. pace() is what
// makes it.

import { LOOP_SLICE_MS } from './limits.js'

export interface LoopBudgetInit {
  /** Longest run before giving way. Default LOOP_SLICE_MS. */
  sliceMs?: number
  /** Monotonic ms. Default performance.now. */
  now?: () => number
}

export class LoopBudget {
  private readonly sliceMs: number
  private readonly now: () => number
  private resumedAtMs: number
  /** Times pace() gave way (a counter for tests and status). */
  yields = 0

  constructor (init: LoopBudgetInit = {}) {
    this.sliceMs = init.sliceMs ?? LOOP_SLICE_MS
    this.now = init.now ?? (() => performance.now())
    this.resumedAtMs = this.now()
  }

  /** Whether the current run has lasted `sliceMs`: work in steps stops its step and calls pace(). */
  due (): boolean {
    return this.now() - this.resumedAtMs >= this.sliceMs
  }

  /** Yields to the event loop if the current run has lasted `sliceMs`; else resolves at once. */
  async pace (): Promise<void> {
    if (!this.due()) return
    this.yields++
    await new Promise<void>(resolve => { setImmediate(resolve) })
    this.resumedAtMs = this.now()
  }

  /** Yields now, whatever the budget (before starting a large piece of work). */
  async yieldNow (): Promise<void> {
    this.yields++
    await new Promise<void>(resolve => { setImmediate(resolve) })
    this.resumedAtMs = this.now()
  }
}
