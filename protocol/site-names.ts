// Site names, settled the same way everywhere. Each site names itself in a
// signed `site` event (event.ts SiteBody). A name is meant to be unique: a
// member refuses a joiner whose name is taken, and a daemon refuses to take a
// name in use. Two sites that claimed one name concurrently (during a
// partition) are told apart by one rule: the earliest claim — lowest (stamp,
// author) of the live site events — keeps the name, the others show as
// `name~<last 6 of the peer id>` until they rename.

import type { Event, SiteBody } from './event.js'
import { compareVersions } from './state.js'

/** peer → its name, with every clash settled; sites that never named themselves are absent. */
export function settleNames (sites: Iterable<Event>): Map<string, string> {
  const claims = [...sites].filter((e): e is Event & { body: SiteBody } => e.body.kind === 'site').sort(compareVersions)
  const taken = new Set<string>()
  const out = new Map<string, string>()
  for (const e of claims) {
    const name = e.body.name
    out.set(e.author, taken.has(name) ? `${name}~${e.author.slice(-6)}` : name)
    taken.add(name)
  }
  return out
}
