// Safety after the quiet period: every live node holds byte-identical state,
// i.e. the same digest. Reported as the digest groups and who is in each.

import type { NodeView, Violation } from './types.js'

export function checkConvergence (nodes: NodeView[]): Violation[] {
  const groups = new Map<string, string[]>()
  for (const n of nodes) {
    const g = groups.get(n.digest)
    if (g === undefined) groups.set(n.digest, [n.id])
    else g.push(n.id)
  }
  if (groups.size <= 1) return []
  const parts = [...groups.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([digest, ids]) => `${digest.slice(0, 12)}… on ${ids.length} (${ids.slice(0, 5).join(',')}${ids.length > 5 ? ',…' : ''})`)
  return [{ check: 'convergence', message: `live nodes disagree after the quiet period: ${groups.size} distinct states: ${parts.join('; ')}` }]
}
