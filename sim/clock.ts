// A node's physical clock in virtual time: true time plus an offset (skew and
// jumps, either way) plus drift (parts per million of elapsed time). The HLC
// reads nowMs(); timers read monoMs(), which is true virtual time and never
// goes back — as CLOCK_MONOTONIC would on a real machine whose wall clock is
// being stepped by NTP.

import { EPOCH_MS } from './limits.js'

export class NodeClock {
  private offsetMs = 0
  private driftPpm = 0
  private driftSinceMs = 0
  private readonly now: () => number

  /** `now` reads true virtual time (ms since the run began). */
  constructor (now: () => number) {
    this.now = now
  }

  nowMs (): number {
    const t = this.now()
    return EPOCH_MS + t + this.offsetMs + (t - this.driftSinceMs) * this.driftPpm / 1e6
  }

  monoMs (): number {
    return this.now()
  }

  /** How far this clock reads ahead of true time (negative: behind). */
  errorMs (): number {
    return this.nowMs() - EPOCH_MS - this.now()
  }

  /** Steps the clock by `deltaMs` (forward or back), as a bad NTP step or an operator would. */
  jump (deltaMs: number): void {
    this.offsetMs += deltaMs
  }

  /** Sets the total error to `errorMs` and stops drift. */
  set (errorMs: number): void {
    this.foldDrift()
    this.driftPpm = 0
    this.offsetMs = errorMs
  }

  drift (ppm: number): void {
    this.foldDrift()
    this.driftPpm = ppm
  }

  private foldDrift (): void {
    const t = this.now()
    this.offsetMs += (t - this.driftSinceMs) * this.driftPpm / 1e6
    this.driftSinceMs = t
  }
}
