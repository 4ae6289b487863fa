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

import { equalBytes } from './bytes.js'
import type { Event } from './event.js'

export type SignatureCheck = (e: Event) => boolean

/** Batches up to this size are linked by a direct scan, without grouping (most pushes carry a few events). */
const SMALL_BATCH = 8

/**
 * The verdict for each event, by position: true if authentic (by its own
 * signature or by a link from an authentic successor in the batch), false if
 * its signature does not verify and nothing vouches for it, undefined if
 * skipped. An array, not a map: this runs for every message received.
 */
export function authenticate (events: readonly Event[], skip: (e: Event) => boolean, check: SignatureCheck): Array<boolean | undefined> {
  const n = events.length
  const verdicts = new Array<boolean | undefined>(n).fill(undefined)
  if (n === 1) {
    if (!skip(events[0])) verdicts[0] = check(events[0])
    return verdicts
  }
  if (n <= SMALL_BATCH) {
    const live: boolean[] = []
    for (const e of events) live.push(!skip(e))
    const verdictOf = (i: number): boolean => {
      const known = verdicts[i]
      if (known !== undefined) return known
      const e = events[i]
      let ok = false
      for (let j = 0; j < n; j++) {
        const s = events[j]
        if (live[j] && s.seq === e.seq + 1 && s.author === e.author && s.prev !== undefined && equalBytes(s.prev, e.id)) { ok = verdictOf(j); break }
      }
      if (!ok) ok = check(e)
      verdicts[i] = ok
      return ok
    }
    for (let i = 0; i < n; i++) if (live[i]) verdictOf(i)
    return verdicts
  }
  for (const run of byAuthorDescending(events, skip)) {
    let successor: Event | undefined // the authentic event one seq above, if any
    for (const i of run) {
      const e = events[i]
      const linked = successor !== undefined && successor.seq === e.seq + 1 && successor.prev !== undefined && equalBytes(successor.prev, e.id)
      const ok = linked || check(e)
      verdicts[i] = ok
      successor = ok ? e : undefined
    }
  }
  return verdicts
}

/** The positions of the events not skipped, grouped by author, each group by seq descending. */
function byAuthorDescending (events: readonly Event[], skip: (e: Event) => boolean): number[][] {
  const groups = new Map<string, number[]>()
  for (let i = 0; i < events.length; i++) {
    const e = events[i]
    if (skip(e)) continue
    let g = groups.get(e.author)
    if (g === undefined) { g = []; groups.set(e.author, g) }
    g.push(i)
  }
  const out: number[][] = []
  for (const g of groups.values()) out.push(g.sort((a, b) => events[b].seq - events[a].seq))
  return out
}
