// Which site writes a retention rule's deletes (retention.ts): one at a time, the same one wherever
// it is asked, so the federation does not get a copy of every tombstone from every site.
//
// The candidates are the members whose role the rule's delete policy lets delete (writers and
// admins under `allow`, admins under `admin`, nobody under `refuse`). They are ordered by rendezvous
// hashing (highest random weight) of (prefix, peer id): every site computes the same order from
// the same membership, each rule gets its own order (the work spreads over sites), and a member
// joining or leaving moves only the rules it comes first or goes from. The runner is the first
// candidate the asking site believes up. Two sites that disagree about who is up may both run:
// harmless (the plan is deterministic and its deletes are conditional: retention.ts), only
// wasteful, and it ends as soon as their views agree again. Pure.

import { sha256 } from './sha256.js'
import type { Role } from './event.js'
import type { DeletePolicy } from './rules.js'

/** Whether a member of `role` may write the deletes of a rule with this delete policy. */
export function mayRunRetention (policy: DeletePolicy, role: Role | undefined): boolean {
  if (role === 'admin') return policy !== 'refuse'
  if (role === 'writer') return policy === 'allow'
  return false
}

/** `peers` in rendezvous order for `prefix`: the highest weight sha-256(prefix, 0, peer) first. */
export function rendezvousOrder (prefix: string, peers: readonly string[]): string[] {
  const weighed = peers.map(peer => ({ peer, weight: weightOf(prefix, peer) }))
  weighed.sort((a, b) => compareBytes(b.weight, a.weight) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
  return weighed.map(w => w.peer)
}

export interface RetentionRunnerChoice {
  /** The candidates, in the order they take over from each other. */
  order: string[]
  /** The first of them believed up; undefined when none may delete, or none is up. */
  runner?: string
}

/** The runner of the rule at `prefix`, among `members` (with their roles now), as `isUp` sees them. */
export function chooseRetentionRunner (prefix: string, policy: DeletePolicy, members: ReadonlyArray<{ peer: string, role?: Role }>, isUp: (peer: string) => boolean): RetentionRunnerChoice {
  const order = rendezvousOrder(prefix, members.filter(m => mayRunRetention(policy, m.role)).map(m => m.peer))
  return { order, runner: order.find(isUp) }
}

const encoder = new TextEncoder()

/** A peer id holds no NUL, so (prefix, peer) → bytes is one to one. */
function weightOf (prefix: string, peer: string): Uint8Array {
  const p = encoder.encode(prefix)
  const q = encoder.encode(peer)
  const bytes = new Uint8Array(p.length + 1 + q.length)
  bytes.set(p, 0)
  bytes.set(q, p.length + 1)
  return sha256(bytes)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.length - b.length
}
