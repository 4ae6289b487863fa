// Builds the answer to a peer's version vector: every event the peer lacks,
// author by author, in batches bounded in bytes, with conditional `through`
// entries (see messages.ts) so that superseded events never need sending and
// a lost batch never makes the peer skip anything. A response stops after a
// byte budget and says `more`; the peer pulls the rest.

import type { AuthorLog } from './author-log.js'
import type { EventsMessage, ThroughEntry, VersionVectorEntries } from './messages.js'

/** One author's range the peer lacks: (from, to]. */
export type Need = [author: string, from: number, to: number]

export interface ResponseInit {
  log: AuthorLog
  /** Ranges the peer lacks, from diffVectors. */
  needs: Need[]
  /** Events held above a gap, per author, and the peer's coverage of that author. */
  pending: Array<[author: string, above: number]>
  maxBatchBytes: number
  maxBatches: number
}

export interface VectorDiff {
  needs: Need[]
  /** Events the peer has that we lack / we have that it lacks (summed over authors). */
  ahead: number
  behind: number
  /** The peer's coverage of the authors in `pendingOf` (for offering events above a gap). */
  theirsPending: Map<string, number>
}

/**
 * One pass over the peer's vector: what it lacks, and the lag both ways. Our
 * side is read through `served` (our coverage as we may serve it); no map of
 * the peer's vector is built, because a federation can have many authors and
 * this runs on every anti-entropy exchange. `pendingOf` is left out when we
 * hold nothing above a gap (the usual case), saving a lookup per entry.
 */
export function diffVectors (theirs: VersionVectorEntries, ours: VersionVectorEntries, served: (author: string) => number, pendingOf?: (author: string) => boolean): VectorDiff {
  const needs: Need[] = []
  const theirsPending = new Map<string, number>()
  let ahead = 0
  let behind = 0
  let matched = 0
  for (const [author, seq] of theirs) {
    const mine = served(author)
    if (mine > 0) matched++
    if (mine > seq) { needs.push([author, seq, mine]); behind += mine - seq } else ahead += seq - mine
    if (pendingOf !== undefined && pendingOf(author)) theirsPending.set(author, seq)
  }
  if (matched < ours.length) {
    // Authors the peer did not mention at all (rare: someone new); it lacks all of theirs.
    const mentioned = new Set(theirs.map(([a]) => a))
    for (const [author, seq] of ours) {
      if (seq > 0 && !mentioned.has(author)) { needs.push([author, 0, seq]); behind += seq }
    }
  }
  return { needs, ahead, behind, theirsPending }
}

/** Fixed per-event and per-entry allowances for CBOR framing. */
const EVENT_OVERHEAD = 4
const THROUGH_OVERHEAD = 80

export function buildResponse (init: ResponseInit): EventsMessage[] {
  const batches: EventsMessage[] = []
  let current: EventsMessage = { type: 'events', events: [], through: [], more: false }
  let bytes = 0

  const close = (): boolean => {
    batches.push(current)
    current = { type: 'events', events: [], through: [], more: false }
    bytes = 0
    return batches.length < init.maxBatches
  }

  for (const need of init.needs) {
    const [author, from, to] = need
    if (init.log.lastSeq(author) <= from) {
      // The common case with many writers: everything the peer lacks of this
      // author is superseded here, so the need itself is the through entry.
      current.through.push(need)
      bytes += THROUGH_OVERHEAD
      if (bytes >= init.maxBatchBytes && !close()) {
        batches[batches.length - 1].more = true
        return batches
      }
      continue
    }
    let segFrom = from
    for (const e of init.log.iterate(author, from, to)) {
      const size = e.bytes.length + EVENT_OVERHEAD
      if (bytes + size + THROUGH_OVERHEAD > init.maxBatchBytes && current.events.length > 0) {
        // Everything below e.seq that we did not send is superseded here.
        if (e.seq - 1 > segFrom) current.through.push([author, segFrom, e.seq - 1])
        segFrom = e.seq - 1
        if (!close()) {
          batches[batches.length - 1].more = true
          return batches
        }
      }
      current.events.push(e)
      bytes += size
    }
    const entry: ThroughEntry = [author, segFrom, to]
    current.through.push(entry)
    bytes += THROUGH_OVERHEAD
    if (bytes >= init.maxBatchBytes && !close()) {
      batches[batches.length - 1].more = true
      return batches
    }
  }
  // Events we hold above a gap in their author's sequence (received by push):
  // offered without any vouch, so that they spread even if their author is gone
  // for good and nobody can ever close the gap. (Found by the simulator.)
  for (const [author, above] of init.pending) {
    for (const e of init.log.iterate(author, above, Number.MAX_SAFE_INTEGER)) {
      const size = e.bytes.length + EVENT_OVERHEAD
      if (bytes + size > init.maxBatchBytes && current.events.length > 0 && !close()) {
        batches[batches.length - 1].more = true
        return batches
      }
      current.events.push(e)
      bytes += size
    }
  }
  if (current.events.length > 0 || current.through.length > 0) batches.push(current)
  return batches
}
