// Authenticating a batch of events with as few signature checks as possible.
//
// Each event names its author's previous event by id (`prev`), and an id is
// the sha-256 of the whole envelope, signature included. So once event n of an
// author is authentic, event n-1 is authentic too if its id equals n's `prev`:
// forging it would need a sha-256 collision. A batch is walked from each
// author's highest sequence number down; only the events that do not link to
// an authentic successor (the top of each run) have their signature checked.
// Anti-entropy sends an author's events in ascending runs, so catching up on
// 100 000 events of one author costs one check per response instead of one
// per event (an Ed25519 check is ~100 µs here; a link is an equality test).
// Runs break where the sender no longer holds a version (superseded), and
// where an author restarted without its history: each break costs one check,
// which is never more than checking every event.

import { equalBytes } from './codec.js'
import type { Event } from './event.js'

export type SignatureCheck = (e: Event) => boolean

/**
 * The verdict for each event not skipped: true if authentic (by its own
 * signature or by a link from an authentic successor in the batch), false if
 * its signature does not verify and nothing vouches for it.
 */
export function authenticate (events: readonly Event[], skip: (e: Event) => boolean, check: SignatureCheck): Map<Event, boolean> {
  const verdicts = new Map<Event, boolean>()
  // Most pushes carry one event: same verdict as the walk below, without its map and sort.
  if (events.length === 1) {
    const e = events[0]
    if (!skip(e)) verdicts.set(e, check(e))
    return verdicts
  }
  for (const run of byAuthorDescending(events, skip)) {
    let successor: Event | undefined // the authentic event one seq above, if any
    for (const e of run) {
      const linked = successor !== undefined && successor.seq === e.seq + 1 && successor.prev !== undefined && equalBytes(successor.prev, e.id)
      const ok = linked || check(e)
      verdicts.set(e, ok)
      successor = ok ? e : undefined
    }
  }
  return verdicts
}

/** The events not skipped, grouped by author, each group by seq descending. */
function byAuthorDescending (events: readonly Event[], skip: (e: Event) => boolean): Event[][] {
  const groups = new Map<string, Event[]>()
  for (const e of events) {
    if (skip(e)) continue
    let g = groups.get(e.author)
    if (g === undefined) { g = []; groups.set(e.author, g) }
    g.push(e)
  }
  const out: Event[][] = []
  for (const g of groups.values()) out.push(g.sort((a, b) => b.seq - a.seq))
  return out
}
