// 0 events obeyed from a clock beyond the offset bound. Fed as events are
// applied: an event from elsewhere whose wall time is more than
// maxClockOffsetMs ahead of the applying node's physical clock should have
// been held back (hlc.ts), not applied. The same arithmetic as the HLC's
// isAhead, so an off-by-one in either shows here.

import type { Event } from '../../protocol/event.js'
import { makeStamp, wallOf } from '../../protocol/hlc.js'
import type { Violation } from './types.js'

/** One millisecond of wall time in stamp units (the logical counter's range). */
const WALL_UNIT = Number(makeStamp(1, 0))

export class OffsetBoundMonitor {
  readonly violations: Violation[] = []
  count = 0
  private readonly maxClockOffsetMs: number
  private readonly maxKept: number

  constructor (maxClockOffsetMs: number, maxKept: number) {
    this.maxClockOffsetMs = maxClockOffsetMs
    this.maxKept = maxKept
  }

  /** `physicalMs`: the applying node's clock as it reads now. */
  applied (node: string, event: Event, local: boolean, physicalMs: number, atMs: number): void {
    if (local) return
    // Within the bound iff the stamp is below the first stamp of millisecond
    // floor(floor(physical) + bound) + 1. That stamp is a double exactly and
    // Number() rounds monotonically, so a number below it settles the usual
    // case without a bigint shift per (node, event); the rest is judged exactly.
    if (Number(event.stamp) < (Math.floor(Math.floor(physicalMs) + this.maxClockOffsetMs) + 1) * WALL_UNIT) return
    const aheadMs = wallOf(event.stamp) - Math.floor(physicalMs)
    if (aheadMs <= this.maxClockOffsetMs) return
    this.count++
    if (this.violations.length < this.maxKept) {
      this.violations.push({
        check: 'offset-bound',
        node,
        key: event.body.key,
        atMs,
        message: `${node} applied ${event.author}:${event.seq} stamped ${aheadMs}ms ahead of its clock (bound ${this.maxClockOffsetMs}ms)`
      })
    }
  }

  report (): Violation[] {
    if (this.count <= this.violations.length) return this.violations
    return [...this.violations, { check: 'offset-bound', message: `… and ${this.count - this.violations.length} more offset-bound violations` }]
  }
}
