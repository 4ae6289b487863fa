// The reference model of protocol/rule-fold.ts, written apart from it so that a bug there cannot hide
// here: which version of a key should win, given every version issued (the run's ground truth), the
// rules in force at each version's own stamp, and who was an admin. Versions are taken oldest first
// (the core's total order, version.ts):
//   put     replaces the current version, unless the rule at its stamp makes the key immutable and the
//           current version is a put (a key is created once; a tombstone is no key);
//   delete  replaces it if the rule's delete policy lets its author (absent: admin under an immutable
//           rule, else anyone), and, if conditional (ifVersion), only while the current version is
//           the one it names.
// The answer is the last version that replaced; none if no version did (the key reads as absent).

import type { Event } from '../../protocol/event.js'
import type { Stamp } from '../../protocol/hlc.js'
import type { RuleSet } from '../../protocol/rules.js'
import { compareVersion } from '../version.js'

export interface FoldSpecContext {
  rulesAt: (stamp: Stamp) => RuleSet
  isAdmin: (author: string, seq: number) => boolean
}

/** The version that should win among `versions` (any order), or undefined: the key should read as absent. */
export function specWinner (versions: readonly Event[], ctx: FoldSpecContext): Event | undefined {
  let current: Event | undefined
  for (const v of [...versions].sort(compareVersion)) {
    const body = v.body
    const rule = ctx.rulesAt(v.stamp).ruleFor(body.key)
    if (body.kind === 'put') {
      if (rule?.immutable === true && current?.body.kind === 'put') continue
      current = v
    } else if (body.kind === 'delete') {
      if (body.ifVersion !== undefined && (current === undefined || !sameId(current.id, body.ifVersion))) continue
      const policy = rule?.deletes ?? (rule?.immutable === true ? 'admin' : 'allow')
      if (policy === 'allow' || (policy === 'admin' && ctx.isAdmin(v.author, v.seq))) current = v
    }
  }
  return current
}

/**
 * Whether a final winner is what the reference model says: the very put; or, where a delete counted
 * last or no version did, no live key — a tombstone (which one does not matter: where the delete that
 * counted was collected with the version it removed, a later delete naming that version counts for
 * nothing, and the core shows it as the greatest version) or nothing (collected).
 */
export function agrees (winner: Event | undefined, expected: Event | undefined): boolean {
  if (expected === undefined || expected.body.kind === 'delete') return winner === undefined || winner.body.kind === 'delete'
  return winner !== undefined && winner.author === expected.author && winner.seq === expected.seq && sameId(winner.id, expected.id)
}

export function sameId (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
