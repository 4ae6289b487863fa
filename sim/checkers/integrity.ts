// Every winner on a live node is a write the workload actually issued, with
// the stamp and key it was issued with: the core invents nothing and garbles
// nothing on its way through the network, the disk and restarts. (A Byzantine
// member's winners are its own inventions — twins, backdated writes — and are
// judged by the role checker instead.)

import type { History } from '../history.js'
import { representatives, type NodeView, type Violation } from './types.js'

export function checkIntegrity (history: History, keys: readonly string[], nodes: NodeView[], byzantine: ReadonlySet<string> = new Set()): Violation[] {
  const out: Violation[] = []
  for (const node of representatives(nodes)) {
    for (const key of keys) {
      const winner = node.get(key)
      if (winner === undefined || byzantine.has(winner.author)) continue
      const w = history.find(winner.author, winner.seq)
      const wrong = w === undefined
        ? 'was never issued'
        : w.lostInCrash
          ? 'was lost in its author\'s crash before it was durable, yet it survived'
          : w.key !== winner.body.key || w.stamp !== winner.stamp || w.kind !== winner.body.kind
            ? `differs from what was issued (${w.kind} ${w.key} @${w.stamp})`
            : undefined
      if (wrong !== undefined) {
        out.push({ check: 'integrity', node: node.id, key, message: `winner ${winner.author}:${winner.seq} of ${key} ${wrong}` })
      }
    }
  }
  return out
}
