// Which version of a key wins, when rules order it (rules.ts) or a conditional delete is among its versions. Without rules the winner is the
// greatest version (state.ts, last writer wins). Under rules the versions are folded oldest first,
// each judged by the rules in force at its own stamp:
//   put     replaces the current version, unless an immutable rule holds and the current version
//           is a put: a key is created once (a tombstone counts as no key, so a create may follow
//           an admin's delete);
//   delete  replaces it, if the rule's delete policy lets its author delete (admin: only an admin,
//           refuse: nobody) and, for a conditional delete (`ifVersion`), if the current version is
//           the one it names; otherwise it counts for nothing;
//   other   (system kinds) replace it.
// The winner is where the fold ends. It is a function of the set of versions held and of the
// rules and roles, never of the order they arrived in, so every replica reaches the same one.
// Only puts and counting deletes can end the fold; if none does (only deletes that count for
// nothing), the greatest version stands: a tombstone, which reads as no key, as it should.
//
// Why collection stays safe: a replica drops the versions a *stable* winner superseded
// (tombstones.ts). Every version written later is stamped above that winner, so the fold up to
// the winner — the only part the dropped versions took part in — is never looked at again.

import { equalBytes } from './bytes.js'
import { deletesOf, type RuleSet } from './rules.js'
import type { Event } from './event.js'
import type { Stamp } from './hlc.js'
import { compareVersions } from './state.js'

export interface FoldContext {
  /** The rule set in force at a stamp (rules-history.ts). */
  rulesAt: (stamp: Stamp) => RuleSet
  /** Whether `author` held the admin role for its event `seq`. */
  isAdmin: (author: string, seq: number) => boolean
}

/** The index of the winner among `versions`, which are sorted greatest first (compareVersions). */
export function foldWinner (versions: readonly Event[], ctx: FoldContext): number {
  let current = -1
  for (let i = versions.length - 1; i >= 0; i--) {
    const v = versions[i]
    const body = v.body
    if (body.kind === 'put') {
      const rule = ctx.rulesAt(v.stamp).ruleFor(body.key)
      if (rule?.immutable === true && current >= 0 && versions[current].body.kind === 'put') continue
      current = i
    } else if (body.kind === 'delete') {
      if (body.ifVersion !== undefined && (current < 0 || !equalBytes(versions[current].id, body.ifVersion))) continue
      if (mayDelete(v, ctx)) current = i
    } else {
      current = i
    }
  }
  return current < 0 ? 0 : current
}

/** Whether a delete counts under the rules of its time. */
export function mayDelete (v: Event, ctx: FoldContext): boolean {
  const policy = deletesOf(ctx.rulesAt(v.stamp).ruleFor(v.body.key))
  return policy === 'allow' || (policy === 'admin' && ctx.isAdmin(v.author, v.seq))
}

/**
 * What may go of an ordered key's superseded versions `old`, its winner `w` being stable, `stable`
 * being those of `old` every member has stably seen too. The fold runs again over what stays, so what
 * goes must not change where it ends:
 *   - a version newer than the winner (a create an immutable rule refused, a delete that counted for
 *     nothing) never moved the fold. It goes once every member has it too: a delete written later is
 *     then stamped above it, and judges it the same at every replica;
 *   - the versions older than the winner go all together, once all are stable, or none does. Dropping
 *     some — an admin's delete that freed the key — while an older one stays — a create some member
 *     had not acknowledged yet — let that create win again at this replica alone (the simulator's
 *     rules sweep, `--nodes 5 --writes 40 --duration 2000ms`: seed 16 and 10 more of the first 500).
 */
export function droppableUnderRules (w: Event, old: readonly Event[], stable: readonly Event[]): Event[] {
  const olderAll = old.every(v => compareVersions(v, w) > 0 || stable.includes(v))
  return olderAll ? [...stable] : stable.filter(v => compareVersions(v, w) > 0)
}
