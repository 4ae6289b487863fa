// Safety after the quiet period: every live node holds byte-identical state,
// i.e. the same digest. Reported as the digest groups and who is in each, and,
// when the keys are known, which keys differ and how — "a tombstone here,
// nothing there" (one side collected it) reads very differently from "two
// different puts".

import type { Event } from '../../protocol/event.js'
import type { NodeView, Violation } from './types.js'

/** Keys described per violation at most. */
const MAX_KEYS_SHOWN = 5

export function checkConvergence (nodes: NodeView[], keys: readonly string[] = []): Violation[] {
  const groups = new Map<string, NodeView[]>()
  for (const n of nodes) {
    const g = groups.get(n.digest)
    if (g === undefined) groups.set(n.digest, [n])
    else g.push(n)
  }
  if (groups.size <= 1) return []
  const sorted = [...groups.entries()].sort((a, b) => b[1].length - a[1].length)
  const parts = sorted.map(([digest, g]) => `${digest.slice(0, 12)}… on ${g.length} (${g.slice(0, 5).map(n => n.id).join(',')}${g.length > 5 ? ',…' : ''})`)
  const reference = (sorted[0] as [string, NodeView[]])[1][0] as NodeView
  const diffs: string[] = []
  let onlyCollectedTombstones = keys.length > 0
  for (const [, g] of sorted.slice(1)) {
    const other = g[0] as NodeView
    for (const key of keys) {
      const a = reference.get(key)
      const b = other.get(key)
      if (sameEvent(a, b)) continue
      const collected = (a === undefined && b?.body.kind === 'delete') || (b === undefined && a?.body.kind === 'delete')
      if (!collected) onlyCollectedTombstones = false
      if (diffs.length < MAX_KEYS_SHOWN) diffs.push(`${key}: ${reference.id} ${show(a)} vs ${other.id} ${show(b)}`)
    }
  }
  const kind = onlyCollectedTombstones ? ' (only tombstones differ: collected on some nodes, kept on others)' : ''
  return [{ check: 'convergence', message: `live nodes disagree after the quiet period: ${groups.size} distinct states${kind}: ${parts.join('; ')}${diffs.length > 0 ? `; e.g. ${diffs.join('; ')}` : ''}` }]
}

function sameEvent (a: Event | undefined, b: Event | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.author === b.author && a.seq === b.seq)
}

function show (e: Event | undefined): string {
  return e === undefined ? 'nothing' : `${e.body.kind} ${e.author}:${e.seq}`
}
