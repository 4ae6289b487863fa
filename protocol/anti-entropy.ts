// Builds the answer to a peer's version vector: every event the peer lacks,
// author by author, in batches bounded in bytes, with conditional `through`
// entries (see messages.ts) so that superseded events never need sending and
// a lost batch never makes the peer skip anything. A response stops after a
// byte budget and says `more`; the peer pulls the rest.

import type { AuthorLog } from './author-log.js'
import type { EventsMessage, ThroughEntry, VersionVectorEntries } from './messages.js'

export interface ResponseInit {
  log: AuthorLog
  /** Our coverage per author, already capped for what we may serve. */
  ours: VersionVectorEntries
  /** Our coverage of one author (what `ours` says, looked up without building a map). */
  covered: (author: string) => number
  /** Our own id: our events above `ours` are not durable yet and are never offered. */
  self: string
  /** Authors of whom we hold events above a gap in their sequence. */
  pendingAuthors: Iterable<string>
  theirs: Map<string, number>
  maxBatchBytes: number
  maxBatches: number
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

  for (const [author, to] of init.ours) {
    const from = init.theirs.get(author) ?? 0
    if (to <= from) continue
    let segFrom = from
    for (const e of init.log.range(author, from, to)) {
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
  for (const author of init.pendingAuthors) {
    if (author === init.self) continue
    const above = Math.max(init.covered(author), init.theirs.get(author) ?? 0)
    for (const e of init.log.range(author, above, Number.MAX_SAFE_INTEGER)) {
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
