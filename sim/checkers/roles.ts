// No member exceeds its role (a federation's runs only). Held against the
// ground truth of the run — who was admitted on purpose, with which role, and
// which revocations were written — not against the nodes' own membership view,
// so a membership bug that made every node agree on a wrong answer still shows:
//   - every member a node recognises was admitted by the run, with at most its role;
//   - every revoked member holds no role any more;
//   - every live winner's author may write (a writer or an admin by admission),
//     and is not beyond the cut of a revocation (the revoker's view) or of a
//     fault proof the node holds (a Byzantine member's twins, its backdated writes).

import type { Event, Role } from '../../protocol/event.js'
import { ROLE_RANK } from '../../protocol/membership.js'
import type { Admission } from '../federation/federation.js'
import { representatives, type NodeView, type Violation } from './types.js'

/** A revocation the run wrote; `durable` says whether its author had made it durable (only then is it promised). */
export interface Revocation { target: string, event: Event, durable: () => boolean }

/** The revoker's view of the revoked member: its events after this seq are void. */
export function cutOf (r: Revocation): number {
  if (r.event.body.kind !== 'revoke') return 0
  return r.event.body.seen.find(([p]) => p === r.target)?.[1] ?? 0
}

export function checkRoles (views: NodeView[], keys: string[], admitted: ReadonlyMap<string, Admission>, revocations: readonly Revocation[]): Violation[] {
  const out: Violation[] = []
  const cuts = new Map<string, number>()
  for (const r of revocations) if (r.durable()) cuts.set(r.target, Math.min(cuts.get(r.target) ?? Infinity, cutOf(r)))
  for (const v of representatives(views)) {
    const m = v.members?.()
    if (m === undefined) { out.push({ check: 'roles', node: v.id, message: 'a node of a federation has no membership view' }); continue }
    for (const p of m.members()) {
      const a = admitted.get(p)
      const role = m.roleNow(p) as Role
      if (a === undefined) out.push({ check: 'roles', node: v.id, message: `${p} is a ${role} but nobody admitted it` })
      else if (ROLE_RANK[role] > ROLE_RANK[a.role]) out.push({ check: 'roles', node: v.id, message: `${p} is a ${role}, admitted as a ${a.role}` })
    }
    for (const target of cuts.keys()) {
      if (m.roleNow(target) !== undefined) out.push({ check: 'roles', node: v.id, message: `${target} was revoked but is still a ${m.roleNow(target) as string}` })
    }
    for (const key of keys) {
      const w = v.get(key)
      if (w === undefined) continue
      const a = admitted.get(w.author)
      if (a === undefined || ROLE_RANK[a.role] < ROLE_RANK.writer) {
        out.push({ check: 'roles', node: v.id, key, message: `${w.body.kind} ${w.author}:${w.seq} is live, but its author was ${a === undefined ? 'never admitted' : `admitted as a ${a.role}`}` })
        continue
      }
      const cut = cuts.get(w.author)
      if (cut !== undefined && w.seq > cut) out.push({ check: 'roles', node: v.id, key, message: `${w.body.kind} ${w.author}:${w.seq} is live beyond its author's revocation (the revoker had it through ${cut})` })
      const fault = m.cutOf(w.author)
      if (fault?.kind === 'fault' && w.seq > fault.seq) out.push({ check: 'roles', node: v.id, key, message: `${w.body.kind} ${w.author}:${w.seq} is live beyond its author's proven fault (from seq ${fault.seq + 1})` })
    }
  }
  return out
}
