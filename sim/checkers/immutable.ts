// An immutable key never changes once acknowledged (rules.ts, issue #21). Two checks:
//
// 1. The first create wins. For every key a rule made immutable, whose versions are all honest, the
//    winner on every honest live node is what the reference fold (fold-spec.ts) makes of every
//    version issued — whatever the partitions, clocks and arrival order. (A Byzantine member's twins
//    and inventions have no single truth to fold; its keys are left to check 2.)
//
// 2. Once acknowledged, for good. A create is *acknowledged* once it is the key's winner at some honest
//    live node and stable there by the core's own test (tombstones.ts), recomputed by the simulator
//    from the signed ack rows the node holds (ack-ledger.ts; judge.ts watches every RULES_WATCH_MS):
//    every member has signed for it, and the node holds whatever any member wrote before signing. An
//    earlier create can then only come from a member that signs against its own acknowledgement — a
//    proven backdater (faults.ts), voided. From then on the winner on every honest node keeps that
//    digest, unless an admin's delete stamped above the create freed the key (an immutable key may be
//    deleted by an admin, and created again). This is the strongest definition an honest core meets: a
//    create merely held by every member, but not yet acknowledged by one (a Byzantine member), may still
//    lose to an earlier create that member signs, as it would to a concurrent one.
//    Not promised, as elsewhere (judge.ts, promisedWrites): a Byzantine member's create, and an
//    honest one beyond its author's revocation cut.

import { equalBytes } from '../../protocol/bytes.js'
import type { Event } from '../../protocol/event.js'
import { hexOf } from '../../protocol/invite.js'
import type { Membership } from '../../protocol/membership.js'
import type { RulesLog } from '../rules-log.js'
import { compareVersion } from '../version.js'
import { agrees, sameId, specWinner, type FoldSpecContext } from './fold-spec.js'
import { representatives, type NodeView, type Violation } from './types.js'

/** Versions listed in a violation at most. */
const MAX_VERSIONS_SHOWN = 6

/** A create seen acknowledged: stable at `node` at `atMs`. */
export interface Acknowledged { event: Event, node: string, atMs: number }

/** The creates seen acknowledged during the run, per key (a key created again after an admin's delete has several). */
export class ImmutableWatch {
  readonly acknowledged = new Map<string, Acknowledged[]>()

  acknowledge (key: string, winner: Event, node: string, atMs: number): void {
    const list = this.acknowledged.get(key)
    if (list === undefined) this.acknowledged.set(key, [{ event: winner, node, atMs }])
    else if (!list.some(a => sameId(a.event.id, winner.id))) list.push({ event: winner, node, atMs })
  }
}

export function checkImmutable (nodes: NodeView[], log: RulesLog, acknowledged: ReadonlyMap<string, readonly Acknowledged[]>, byzantine: ReadonlySet<string>): Violation[] {
  const out: Violation[] = []
  for (const node of representatives(nodes)) {
    const m = node.members?.()
    const ctx = foldContext(log, m)
    for (const key of log.versions.keys()) {
      if (!log.everImmutable(key) || (log.versions.get(key) ?? []).some(v => byzantine.has(v.event.author))) continue
      const versions = log.existing(key).filter(e => valid(e, m))
      const expected = specWinner(versions, ctx)
      const winner = node.get(key)
      if (agrees(winner, expected)) continue
      out.push({ check: 'immutable', node: node.id, key, message: `${key}: ${node.id} ends with ${show(winner)}, but the first create is ${show(expected)} (of ${listed(versions)})` })
    }
    for (const [key, acks] of acknowledged) {
      for (const { event: w, node: at, atMs } of acks) {
        if (byzantine.has(w.author) || !valid(w, m)) continue
        const winner = node.get(key)
        if (winner?.body.kind === 'put' && w.body.kind === 'put' && equalBytes(winner.body.digest, w.body.digest)) continue
        if (freedAbove(log.existing(key).filter(e => valid(e, m)), w, winner, ctx)) continue
        out.push({ check: 'immutable', node: node.id, key, message: `${key} was acknowledged as ${show(w)} (stable at ${at} at ${Math.round(atMs)}ms), but ${node.id} ends with ${show(winner)} and no admin's delete stands above the create` })
      }
    }
  }
  return out
}

/** The reference fold's context as one honest node's membership sees roles (the roles checker holds that view to the run's truth). */
export function foldContext (log: RulesLog, m: Membership | undefined): FoldSpecContext {
  return { rulesAt: stamp => log.rulesAt(stamp), isAdmin: (author, seq) => m?.roleOf(author, seq) === 'admin' }
}

/** A version that counts at all: its author held write for it, and is not cut off before it (revoked, suspended). */
export function valid (e: Event, m: Membership | undefined): boolean {
  return m === undefined || m.authorize(e).ok
}

/** Some delete that counts, stamped above the create, with the winner at or above it: the key was freed, and may hold anything since. */
function freedAbove (versions: Event[], create: Event, winner: Event | undefined, ctx: FoldSpecContext): boolean {
  return versions.some(d => {
    if (d.body.kind !== 'delete' || compareVersion(d, create) <= 0) return false
    if (d.body.ifVersion !== undefined && !sameId(d.body.ifVersion, create.id)) return false
    const rule = ctx.rulesAt(d.stamp).ruleFor(d.body.key)
    const policy = rule?.deletes ?? (rule?.immutable === true ? 'admin' : 'allow')
    if (policy === 'refuse' || (policy === 'admin' && !ctx.isAdmin(d.author, d.seq))) return false
    return winner === undefined || compareVersion(winner, d) >= 0
  })
}

export function show (e: Event | undefined): string {
  if (e === undefined) return 'nothing'
  const what = e.body.kind === 'put' ? `put sha256:${hexOf(e.body.digest).slice(0, 8)}…` : e.body.kind === 'delete' && e.body.ifVersion !== undefined ? 'conditional delete' : e.body.kind
  return `${what} ${e.author}:${e.seq} @${e.stamp}`
}

function listed (versions: Event[]): string {
  const sorted = [...versions].sort(compareVersion)
  const shown = sorted.slice(0, MAX_VERSIONS_SHOWN).map(show).join(', ')
  return sorted.length > MAX_VERSIONS_SHOWN ? `${shown}, … ${sorted.length} versions` : shown
}
