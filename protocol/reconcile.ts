// Finding events two replicas hold differently when their coverage is equal.
// Anti-entropy compares version vectors: "I have author a through seq n". Two
// replicas that each hold a *different* event at one (a, n) — an equivocation
// whose twins were never relayed across — cover the same and would never
// exchange either twin, disagreeing for good. Their digests still differ, so
// when coverage is equal and digests are not, one side sends per-author
// fingerprints (XOR of held ids, author-log.ts); the other answers with the
// (seq, id prefix) of its events of the authors that differ, newest first
// within a byte budget; the first sends back every event it holds at a listed
// seq under another id. The receiver then holds both twins: a proof (faults.ts).
// In a federation the same mismatch also comes from versions one side has
// collected and the other not yet; that costs these two messages, rate-limited.

import type { AuthorLog } from './author-log.js'
import { equalBytes } from './bytes.js'
import type { Event } from './event.js'
import type { FingerprintsMessage, IdsMessage } from './messages.js'

/** Bytes an ids entry takes on the wire, about: author string, seq, 8-byte prefix, framing. */
const ID_ENTRY_BYTES = 80

export function fingerprintsOf (log: AuthorLog): FingerprintsMessage {
  return { type: 'fps', fps: log.fingerprints() }
}

/**
 * Our (seq, id prefix) lists for the authors whose fingerprint differs from
 * the peer's — an author the peer did not list at all differs too — within
 * `budgetBytes`.
 */
export function answerFingerprints (m: FingerprintsMessage, log: AuthorLog, budgetBytes: number, maxEntries: number): IdsMessage | undefined {
  const theirs = new Map(m.fps)
  const ids: IdsMessage['ids'] = []
  let bytes = 0
  const full = (): boolean => bytes + ID_ENTRY_BYTES > budgetBytes || ids.length >= maxEntries
  for (const [author, ours] of log.fingerprints()) {
    const fp = theirs.get(author)
    if (fp !== undefined && equalBytes(ours, fp)) continue
    log.newestFirst(author, e => {
      if (full()) return false
      ids.push([author, e.seq, e.id.subarray(0, 8)])
      bytes += ID_ENTRY_BYTES
      return true
    })
    if (full()) break
  }
  return ids.length === 0 ? undefined : { type: 'ids', ids }
}

/** The listed (author, seq) of members cut before them that we do not hold: what a `want` asks for. */
export function unheldBeyondCuts (m: IdsMessage, log: AuthorLog, cutOf: (author: string) => number | undefined): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (const [author, seq] of m.ids) {
    const cut = cutOf(author)
    if (cut !== undefined && seq > cut && log.get(author, seq) === undefined) out.push([author, seq])
  }
  return out
}

/** The events we hold at the listed (author, seq) under another id than the peer's. */
export function divergentEvents (m: IdsMessage, log: AuthorLog): Event[] {
  const out: Event[] = []
  for (const [author, seq, prefix] of m.ids) {
    const held = log.get(author, seq)
    if (held !== undefined && !equalBytes(held.id.subarray(0, 8), prefix)) out.push(held)
  }
  return out
}
