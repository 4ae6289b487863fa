// Never fewer than N copies after the heal when N sites are live (rules.ts, replicas). The simulator
// moves no bytes, so what is checked is the part the rules decide: for every live key under a
// `replicas: N` rule, every honest node computes from its own membership view and the rules it
// enforces the same holder set (placement.ts), of min(N, eligible members) distinct members, each of
// them a live node. Eligible: the members holding a role now (a revoked or suspended member holds
// none). Each holder fetches the bytes it is placed on, so these are the N copies.

import { holdersFor } from '../placement.js'
import { type NodeView, type Violation } from './types.js'

export function checkReplicas (nodes: NodeView[], keys: Iterable<string>, live: ReadonlySet<string>): Violation[] {
  const out: Violation[] = []
  for (const key of keys) {
    let first: { node: string, holders: string } | undefined
    for (const node of nodes) {
      const n = node.rules?.()?.ruleFor(key)?.replicas
      if (n === undefined || node.get(key)?.body.kind !== 'put') continue
      const eligible = node.members?.()?.members() ?? []
      const holders = holdersFor(key, eligible, n)
      const want = Math.min(n, eligible.length)
      const distinct = new Set(holders)
      if (holders.length !== want || distinct.size !== holders.length) {
        out.push({ check: 'replicas', node: node.id, key, message: `${key} (replicas ${n}) is placed on ${holders.length} members (${holders.join(',')}), ${distinct.size} distinct; ${want} of the ${eligible.length} eligible should hold it` })
      }
      const gone = holders.filter(h => !live.has(h))
      if (gone.length > 0) out.push({ check: 'replicas', node: node.id, key, message: `${key} (replicas ${n}) is placed on ${gone.join(',')}, not live: fewer than ${n} copies` })
      const sorted = [...holders].sort().join(',')
      if (first === undefined) first = { node: node.id, holders: sorted }
      else if (first.holders !== sorted) out.push({ check: 'replicas', node: node.id, key, message: `${key}: ${first.node} places it on [${first.holders}], ${node.id} on [${sorted}]` })
    }
  }
  return out
}
