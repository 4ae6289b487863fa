// Events whose stamp is beyond the clock-offset bound: held, not applied and
// not counted as covered, until local physical time catches up. Bounded: when
// full, further events are refused (anti-entropy will offer them again).

import type { Event } from './event.js'
import { eventRef } from './event.js'

export interface HeldEvent {
  event: Event
  from: string
}

export class HeldEvents {
  private readonly byRef = new Map<string, HeldEvent>()

  constructor (private readonly max: number) {}

  get size (): number {
    return this.byRef.size
  }

  has (event: Event): boolean {
    return this.byRef.has(eventRef(event))
  }

  /** Returns false when full. */
  hold (event: Event, from: string): boolean {
    if (this.byRef.size >= this.max) return false
    this.byRef.set(eventRef(event), { event, from })
    return true
  }

  /** Lowest held seq of an author, or undefined. */
  lowestSeq (author: string): number | undefined {
    let low: number | undefined
    for (const { event } of this.byRef.values()) {
      if (event.author === author && (low === undefined || event.seq < low)) low = event.seq
    }
    return low
  }

  /** Removes and returns the events `ready` accepts. */
  release (ready: (e: Event) => boolean): HeldEvent[] {
    const out: HeldEvent[] = []
    for (const [ref, held] of this.byRef) {
      if (ready(held.event)) { out.push(held); this.byRef.delete(ref) }
    }
    return out
  }
}
