// What a grant, revoke or fault does to events already held. It changes who
// may have written what: events of a revoked or suspended author beyond its
// cut, and grants that lost their authority, are no longer valid. Each removal can in
// turn take authority from further grants, so this runs to a fixed point
// (bounded: a chain of grants is at most as long as the membership's history,
// and the guard stops a pathological one). The versions the invalid events
// had superseded are still held (retention), so the right winner comes back.

import type { AuthorLog } from './author-log.js'
import { isMembershipEvent, type Event } from './event.js'
import type { Membership } from './membership.js'

/** Rounds of knock-on effects followed before giving up (each round is one level of grant chains). */
const MAX_ROUNDS = 64

/** Commits a membership event and removes, through `discard`, every held event it invalidates. Returns how many. */
export function applyMembershipEvent (e: Event, membership: Membership, log: AuthorLog, discard: (e: Event) => void): number {
  let removed = 0
  let { changed, invalidated } = membership.commit(e)
  for (let round = 0; (changed.size > 0 || invalidated.length > 0) && round < MAX_ROUNDS; round++) {
    const next = { changed: new Set<string>(), invalidated: [] as Event[] }
    for (const bad of invalidated) {
      discard(bad)
      removed++
      const r = membership.drop(bad)
      for (const p of r.changed) next.changed.add(p)
      next.invalidated.push(...r.invalidated)
    }
    for (const peer of changed) {
      for (const ev of log.range(peer, 0, Number.MAX_SAFE_INTEGER)) {
        if (isMembershipEvent(ev)) continue // judged by the fold above
        if (!membership.authorize(ev).ok) { discard(ev); removed++ }
      }
    }
    changed = next.changed
    invalidated = next.invalidated
  }
  return removed
}
