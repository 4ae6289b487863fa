// Fault proofs: two statements signed by one member that no honest member
// signs, which anyone can check without trusting whoever relays them.
//
//   twin      two events with one (author, seq): equivocation. Honest authors
//             never reuse a seq (own events leave a node only once durable).
//   chain     an event at seq n and one at n + 1 whose `prev` names another
//             event: equivocation at n, shown with only one of the twins (the
//             other may be long collected, or withheld).
//   order     two events whose stamps run against their seqs. An honest
//             author's clock only moves forward, so seq order is stamp order.
//   backdate  an event with a seq above the author's signed acknowledgement
//             but a stamp at or below it (acks.ts says why that cannot happen
//             honestly). This is what bounds backdating: a member cannot stamp
//             an event earlier than its own last acknowledgement.
//
// A proof suspends the member from the fault's seq on, everywhere: every event
// of it from that seq (both twins included) is void, by one rule that does not
// depend on which twin a member saw first (membership.ts).

import { decodeAck, verifyAck } from './acks.js'
import { equalBytes } from './bytes.js'
import { decodeEvent, signingBytes } from './codec.js'
import type { Event, FaultBody, FaultKind } from './event.js'
import type { Verifier } from './ports.js'

export type FaultCheck = { ok: true, fromSeq: number } | { ok: false, reason: string }

function signedBy (e: Event, peer: string, verifier: Verifier): boolean {
  if (e.author !== peer) return false
  try { return verifier.verify(peer, signingBytes(e), e.sig) } catch { return false }
}

/** Checks a proof by its content alone; ok gives the seq from which its peer is suspended. */
export function checkFault (body: Pick<FaultBody, 'peer' | 'proof' | 'a' | 'b'>, verifier: Verifier): FaultCheck {
  let a: Event
  try { a = decodeEvent(body.a) } catch { return { ok: false, reason: 'fault proof: first statement does not decode' } }
  if (!signedBy(a, body.peer, verifier)) return { ok: false, reason: 'fault proof: first statement is not signed by the accused' }
  if (body.proof === 'backdate') {
    let ack
    try { ack = decodeAck(body.b) } catch { return { ok: false, reason: 'fault proof: acknowledgement does not decode' } }
    if (ack.member !== body.peer || !verifyAck(ack, verifier)) return { ok: false, reason: 'fault proof: acknowledgement is not signed by the accused' }
    if (a.seq > ack.seq && a.stamp <= ack.stamp) return { ok: true, fromSeq: a.seq }
    return { ok: false, reason: 'fault proof: the event is not stamped below the acknowledgement' }
  }
  let b: Event
  try { b = decodeEvent(body.b) } catch { return { ok: false, reason: 'fault proof: second statement does not decode' } }
  if (!signedBy(b, body.peer, verifier)) return { ok: false, reason: 'fault proof: second statement is not signed by the accused' }
  if (body.proof === 'twin') {
    if (a.seq === b.seq && !equalBytes(a.id, b.id)) return { ok: true, fromSeq: a.seq }
    return { ok: false, reason: 'fault proof: not two different events with one seq' }
  }
  if (body.proof === 'chain') {
    if (b.seq === a.seq + 1 && b.prev !== undefined && !equalBytes(b.prev, a.id)) return { ok: true, fromSeq: a.seq }
    return { ok: false, reason: 'fault proof: the second event does not chain to another event at the first one\'s seq' }
  }
  if (a.seq < b.seq && a.stamp >= b.stamp) return { ok: true, fromSeq: b.seq }
  return { ok: false, reason: 'fault proof: the stamps do not run against the seqs' }
}

/** The proof two events of one author make, if they make one: twins, a broken chain, or stamps against seqs. */
export function contradiction (x: Event, y: Event): { proof: FaultKind, a: Event, b: Event, fromSeq: number } | undefined {
  if (x.author !== y.author || equalBytes(x.id, y.id)) return undefined
  if (x.seq === y.seq) return { proof: 'twin', a: x, b: y, fromSeq: x.seq }
  const [lo, hi] = x.seq < y.seq ? [x, y] : [y, x]
  if (hi.seq === lo.seq + 1 && hi.prev !== undefined && !equalBytes(hi.prev, lo.id)) return { proof: 'chain', a: lo, b: hi, fromSeq: lo.seq }
  if (lo.stamp >= hi.stamp) return { proof: 'order', a: lo, b: hi, fromSeq: hi.seq }
  return undefined
}
