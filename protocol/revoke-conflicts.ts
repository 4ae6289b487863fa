// Which revokes stand when revokes void each other. A revoke of B voids B's
// events after the revoker's view of B — including revokes B wrote after it.
// Written that way, "r' attacks r" when r' revokes r's author and r lies beyond
// r''s view. Revokes nobody attacks stand; revokes attacked by a standing one
// fall; repeat (the grounded extension of an argumentation framework). What is
// left undecided are cycles: two admins that revoked each other, neither having
// seen the other's revoke — or one lying about it. A cycle that nothing outside
// it attacks stands as a whole (both are revoked), and settling goes on. So a
// revoked admin can never escape its revocation by backdating a counter-revoke
// or hiding what it had seen; the worst it can do is take its revoker with it.

import type { Event } from './event.js'

/** The revokes among `candidates` that stand; `seenOf(r, peer)` is r's author's view of `peer`. */
export function settleRevokes (candidates: Event[], seenOf: (r: Event, peer: string) => number): Set<Event> {
  const attackers = new Map<Event, Event[]>()
  for (const r of candidates) attackers.set(r, [])
  for (const a of candidates) {
    const target = (a.body as { peer: string }).peer
    for (const r of candidates) {
      if (r.author === target && r.seq > seenOf(a, target)) (attackers.get(r) as Event[]).push(a)
    }
  }
  const IN = new Set<Event>()
  const OUT = new Set<Event>()
  const undecided = (): Event[] => candidates.filter(r => !IN.has(r) && !OUT.has(r))
  for (;;) {
    propagate(candidates, attackers, IN, OUT)
    const open = undecided()
    if (open.length === 0) return IN
    for (const scc of initialCycles(open, attackers)) for (const r of scc) IN.add(r)
  }
}

function propagate (candidates: Event[], attackers: Map<Event, Event[]>, IN: Set<Event>, OUT: Set<Event>): void {
  for (let changed = true; changed;) {
    changed = false
    for (const r of candidates) {
      if (IN.has(r) || OUT.has(r)) continue
      const by = attackers.get(r) as Event[]
      if (by.some(a => IN.has(a))) { OUT.add(r); changed = true } else if (by.every(a => OUT.has(a))) { IN.add(r); changed = true }
    }
  }
}

/**
 * Strongly connected components of the undecided attack graph that no other
 * undecided revoke attacks (Tarjan). After propagation every undecided revoke
 * has an undecided attacker, so following attackers backwards always ends in
 * a cycle: at least one such component exists.
 */
function initialCycles (open: Event[], attackers: Map<Event, Event[]>): Event[][] {
  const openSet = new Set(open)
  const index = new Map<Event, number>()
  const low = new Map<Event, number>()
  const onStack = new Set<Event>()
  const stack: Event[] = []
  const sccs: Event[][] = []
  let counter = 0
  // Edges point from a revoke to its attackers; an initial component has no edge leaving it.
  const strong = (v: Event): void => {
    index.set(v, counter); low.set(v, counter); counter++
    stack.push(v); onStack.add(v)
    for (const w of (attackers.get(v) as Event[]).filter(a => openSet.has(a))) {
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v) as number, low.get(w) as number)) } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number))
    }
    if (low.get(v) === index.get(v)) {
      const scc: Event[] = []
      let w: Event
      do { w = stack.pop() as Event; onStack.delete(w); scc.push(w) } while (w !== v)
      sccs.push(scc)
    }
  }
  for (const v of open) if (!index.has(v)) strong(v)
  const sccOf = new Map<Event, number>()
  sccs.forEach((scc, i) => { for (const v of scc) sccOf.set(v, i) })
  return sccs.filter((scc, i) => scc.every(v => (attackers.get(v) as Event[]).every(a => !openSet.has(a) || sccOf.get(a) === i)) &&
    // a single revoke is a cycle only if it attacks itself (a self-revoke)
    (scc.length > 1 || (attackers.get(scc[0]) as Event[]).includes(scc[0])))
}
