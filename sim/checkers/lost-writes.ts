// 0 lost acknowledged writes: every acknowledged write is, on every live node,
// either the winner of its key or beaten by a version (stamp, author) above it
// — a later put, or a tombstone (which may since have been collected, leaving
// the key absent: then some issued delete must stand above the write).
// The one case left to resurrection.ts: an acknowledged delete beaten by an
// older put. A conditional delete (retention's) promises nothing — it counts
// only against the version it names — but one that counted still stands
// above what it deleted.

import type { Event } from '../../protocol/event.js'
import type { WriteRecord } from '../history.js'
import { compareVersion, type Versioned } from '../version.js'
import { representatives, type NodeView, type Violation } from './types.js'

export function checkLostWrites (writes: readonly WriteRecord[], nodes: NodeView[]): Violation[] {
  const topDelete = highestDeletes(writes)
  const out: Violation[] = []
  for (const node of representatives(nodes)) {
    for (const w of writes) {
      if (w.ackedAtMs === undefined || w.conditional) continue
      const winner = node.get(w.key)
      const lost = lostOn(w, winner, topDelete.get(w.key))
      if (lost !== undefined) out.push({ check: 'lost-write', node: node.id, key: w.key, message: `${describe(w)} ${lost}` })
    }
  }
  return out
}

/** Why `w` is lost given its key's winner on a node, or undefined if it is not. */
function lostOn (w: WriteRecord, winner: Event | undefined, topDelete: Versioned | undefined): string | undefined {
  if (winner === undefined) {
    if (w.kind === 'delete') return undefined
    if (topDelete !== undefined && compareVersion(topDelete, w) > 0) return undefined
    return 'is missing, and no delete above it was ever issued'
  }
  if (compareVersion(winner, w) >= 0) return undefined
  if (w.kind === 'delete' && winner.body.kind === 'put') return undefined // resurrection.ts reports it
  return `lost to an older ${winner.body.kind} ${winner.author}:${winner.seq} @${winner.stamp}`
}

function highestDeletes (writes: readonly WriteRecord[]): Map<string, Versioned> {
  const top = new Map<string, Versioned>()
  for (const w of writes) {
    if (w.kind !== 'delete' || w.lostInCrash) continue
    const t = top.get(w.key)
    if (t === undefined || compareVersion(w, t) > 0) top.set(w.key, w)
  }
  return top
}

export function describe (w: WriteRecord): string {
  return `acknowledged ${w.kind} of ${w.key} by ${w.author}:${w.seq} @${w.stamp} (issued ${w.issuedAtMs}ms, acked ${w.ackedAtMs ?? '-'}ms)`
}
