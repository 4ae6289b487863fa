// Never fewer than N copies after the heal when N sites are live (rules.ts, replicas). The simulator
// moves no bytes, so what is checked is the part the rules decide: for every live key under a
// `replicas: N` rule, every honest node computes from its own membership view and the rules it
// enforces the same holder set (protocol/placement.ts, the daemon's), of min(N, eligible members)
// distinct members, each of them a live node. Eligible: the members holding a role now (a revoked or
// suspended member holds none). Members down at the end count as down past the daemon's grace
// (`demoted`: chosen last), as they would once the grace passed. Each holder fetches the bytes it is
// placed on, so these are the N copies.

import { placeHolders } from '../../protocol/placement.js'
import { type NodeView, type Violation } from './types.js'

export function checkReplicas (nodes: NodeView[], keys: Iterable<string>, live: ReadonlySet<string>): Violation[] {
  const out: Violation[] = []
  for (const key of keys) {
    let first: { node: string, holders: string } | undefined
    for (const node of nodes) {
      const n = node.rules?.()?.ruleFor(key)?.replicas
      const winner = node.get(key)
      if (n === undefined || winner?.body.kind !== 'put') continue
      const eligible = node.members?.()?.members() ?? []
      const holders = placeHolders({ digest: winner.body.digest, replicas: n, author: winner.author, members: eligible.map(peer => ({ peer, demoted: !live.has(peer) })) })
      const want = Math.min(n, eligible.length)
      const distinct = new Set(holders)
      if (holders.length !== want || distinct.size !== holders.length) {
        out.push({ check: 'replicas', node: node.id, key, message: `${key} (replicas ${n}) is placed on ${holders.length} members (${holders.join(',')}), ${distinct.size} distinct; ${want} of the ${eligible.length} eligible should hold it` })
      }
      // With N live eligible members, the N holders are live; with fewer, every live one holds.
      const liveEligible = eligible.filter(p => live.has(p))
      const short = liveEligible.length >= n ? holders.filter(h => !live.has(h)) : liveEligible.filter(p => !holders.includes(p))
      if (short.length > 0) out.push({ check: 'replicas', node: node.id, key, message: `${key} (replicas ${n}): ${liveEligible.length >= n ? `placed on ${short.join(',')}, not live` : `live ${short.join(',')} not placed`}: fewer than ${Math.min(n, liveEligible.length)} live copies` })
      const sorted = [...holders].sort().join(',')
      if (first === undefined) first = { node: node.id, holders: sorted }
      else if (first.holders !== sorted) out.push({ check: 'replicas', node: node.id, key, message: `${key}: ${first.node} places it on [${first.holders}], ${node.id} on [${sorted}]` })
    }
  }
  return out
}
