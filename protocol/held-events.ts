// Events whose stamp is beyond the clock-offset bound: held, not applied and
// not counted as covered, until local physical time catches up.
//
// Bounded in count and in bytes (an event's encoded size stands for its
// memory). When a new event does not fit, the sender holding the most bytes
// gives way: the event it handed over last is shed, until the new one fits.
// If the new event's own sender holds the most, the new event is refused
// instead. So one peer flooding far-stamped events fills at most the room no
// one else uses, and cannot push out what an honest peer with a fast clock had
// held (honest peers never relay held events, so they rarely hold much).
// Shed and refused events are not covered: anti-entropy offers them again.

import type { Event } from './event.js'
import { eventRef } from './event.js'

export interface HeldEvent {
  event: Event
  from: string
}

export interface HeldLimits {
  maxEvents: number
  maxBytes: number
}

/** What hold() did: the event was held (perhaps shedding others), or refused. */
export interface HoldResult {
  held: boolean
  /** Events of other senders dropped to make room. */
  shed: HeldEvent[]
}

interface SenderShare {
  bytes: number
  count: number
  /** Refs in the order they were held; the last is shed first. Released refs linger until compacted. */
  refs: string[]
}

export class HeldEvents {
  private readonly byRef = new Map<string, HeldEvent>()
  private readonly bySender = new Map<string, SenderShare>()
  private heldBytes = 0

  constructor (private readonly limits: HeldLimits) {}

  get size (): number {
    return this.byRef.size
  }

  /** Encoded bytes of the events held. */
  get bytes (): number {
    return this.heldBytes
  }

  has (event: Event): boolean {
    return this.byRef.has(eventRef(event))
  }

  hold (event: Event, from: string): HoldResult {
    const size = event.bytes.length
    const shed: HeldEvent[] = []
    if (size > this.limits.maxBytes || this.limits.maxEvents <= 0) return { held: false, shed }
    while (this.byRef.size + 1 > this.limits.maxEvents || this.heldBytes + size > this.limits.maxBytes) {
      const heaviest = this.heaviestSender()
      if (heaviest === undefined || heaviest === from) return { held: false, shed }
      const dropped = this.shedLast(heaviest)
      if (dropped !== undefined) shed.push(dropped)
    }
    const ref = eventRef(event)
    this.byRef.set(ref, { event, from })
    this.heldBytes += size
    let share = this.bySender.get(from)
    if (share === undefined) {
      share = { bytes: 0, count: 0, refs: [] }
      this.bySender.set(from, share)
    }
    share.bytes += size
    share.count++
    share.refs.push(ref)
    return { held: true, shed }
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
      if (ready(held.event)) { out.push(held); this.forget(ref, held) }
    }
    return out
  }

  /** The sender holding the most bytes (the first such, in the order senders arrived). */
  private heaviestSender (): string | undefined {
    let best: string | undefined
    let bestBytes = -1
    for (const [sender, share] of this.bySender) {
      if (share.bytes > bestBytes) { best = sender; bestBytes = share.bytes }
    }
    return best
  }

  private shedLast (sender: string): HeldEvent | undefined {
    const share = this.bySender.get(sender)
    while (share !== undefined && share.refs.length > 0) {
      const ref = share.refs.pop() as string
      const held = this.byRef.get(ref)
      if (held !== undefined && held.from === sender) {
        this.forget(ref, held)
        return held
      }
    }
    return undefined
  }

  private forget (ref: string, held: HeldEvent): void {
    this.byRef.delete(ref)
    const size = held.event.bytes.length
    this.heldBytes -= size
    const share = this.bySender.get(held.from)
    if (share === undefined) return
    share.bytes -= size
    share.count--
    if (share.count <= 0) {
      this.bySender.delete(held.from)
    } else if (share.refs.length > 2 * share.count + 16) {
      // Released refs are left in the list (finding them is O(n)); drop them once they are most of it.
      share.refs = share.refs.filter(r => this.byRef.get(r)?.from === held.from)
    }
  }
}
