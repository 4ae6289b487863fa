// 0 resurrected deletes: once a delete is acknowledged, no live node may end
// up showing a put of that key older than the delete — the classic bug of a
// tombstone collected too early, after which an old put flows back in from a
// node that was away. (A conditional delete promises nothing: it counts only
// against the version it names, so a put published meanwhile rightly stays.)

import type { WriteRecord } from '../history.js'
import { compareVersion } from '../version.js'
import { describe } from './lost-writes.js'
import { representatives, type NodeView, type Violation } from './types.js'

export function checkResurrection (writes: readonly WriteRecord[], nodes: NodeView[]): Violation[] {
  const out: Violation[] = []
  for (const node of representatives(nodes)) {
    for (const w of writes) {
      if (w.kind !== 'delete' || w.ackedAtMs === undefined || w.conditional) continue
      const winner = node.get(w.key)
      if (winner === undefined || winner.body.kind !== 'put') continue
      if (compareVersion(winner, w) < 0) {
        out.push({ check: 'resurrection', node: node.id, key: w.key, message: `${describe(w)} was undone by the older put ${winner.author}:${winner.seq} @${winner.stamp}` })
      }
    }
  }
  return out
}
