// Virtual time for parts that take the Timers port (protocol/ports.ts) and a
// wall clock (webhook delivery: daemon/visibility/webhooks/). Its monotonic and
// wall clocks move together. advance(ms) runs every timer
// due within ms in time order, letting the promise chains each one starts
// settle before the next: a day of retry schedule runs in milliseconds, and
// the same way every time. Nothing here waits on the wall clock.

import type { Cancel, Timers } from '../../protocol/ports.js'

interface Timer { id: number, atMs: number, fn: () => void }

/** Turns of the event loop given to promise chains between timers (in-memory I/O settles within a few). */
const SETTLE_TURNS = 20

export class VirtualTime implements Timers {
  private now: number
  private timers: Timer[] = []
  private nextId = 1

  constructor (startMs = Date.UTC(2026, 0, 1)) { this.now = startMs }

  readonly nowMs = (): number => this.now

  readonly monoMs = (): number => this.now

  readonly after = (delayMs: number, fn: () => void): Cancel => this.at(this.now + Math.max(0, delayMs), fn)

  readonly at = (atMs: number, fn: () => void): Cancel => {
    const timer = { id: this.nextId++, atMs: Math.max(this.now, atMs), fn }
    this.timers.push(timer)
    return () => { this.timers = this.timers.filter(t => t !== timer) }
  }

  /** Timers waiting. */
  get pending (): number { return this.timers.length }

  /** Lets promise chains run (no time passes). */
  async settle (): Promise<void> {
    for (let i = 0; i < SETTLE_TURNS; i++) await new Promise<void>(resolve => { setImmediate(resolve) })
  }

  /** Moves time forward by `ms`, running each timer due on the way at its time. */
  async advance (ms: number): Promise<void> {
    const target = this.now + ms
    for (;;) {
      await this.settle()
      const due = this.timers.filter(t => t.atMs <= target).sort((a, b) => a.atMs - b.atMs || a.id - b.id)[0]
      if (due === undefined) break
      this.timers = this.timers.filter(t => t !== due)
      this.now = Math.max(this.now, due.atMs)
      due.fn()
    }
    this.now = target
    await this.settle()
  }

  /** Advances in `stepMs` steps until `check` holds; throws after `maxMs` of virtual time. */
  async until (what: string, check: () => boolean, maxMs = 3_600_000, stepMs = 100): Promise<void> {
    for (let waited = 0; !check(); waited += stepMs) {
      if (waited >= maxMs) throw new Error(`virtual time: ${what} not within ${maxMs} ms`)
      await this.advance(stepMs)
    }
  }
}
