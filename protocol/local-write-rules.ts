// What a site refuses to write under the rules it enforces now (rules.ts), before anything is
// signed: a put of other bytes over an immutable key (CONFLICT, naming the digest it holds), a
// delete its role may not make (PERMISSION_DENIED). A put of the very bytes an immutable key holds
// is no write at all: the existing event is the answer. These refusals spare honest sites a write
// that would lose; a member that writes anyway gains nothing, because every replica judges the
// versions by the same fold (rule-fold.ts).

import { equalBytes } from './bytes.js'
import { MycelError } from './errors.js'
import { hexOf } from './invite.js'
import type { Event, NewEventBody, Role } from './event.js'
import { deletesOf, type RuleSet } from './rules.js'

/** Throws what the rules refuse; returns the existing event when the write would change nothing. */
export function checkLocalWrite (input: NewEventBody, winner: Event | undefined, rules: RuleSet, role: Role | undefined): Event | undefined {
  if (input.kind !== 'put' && input.kind !== 'delete') return undefined
  const rule = rules.ruleFor(input.key)
  if (rule === undefined) return undefined
  if (input.kind === 'delete') {
    const policy = deletesOf(rule)
    if (policy === 'refuse') throw new MycelError('PERMISSION_DENIED', `${input.key} is under ${describe(rule.prefix)}, whose rule refuses deletes`)
    if (policy === 'admin' && role !== 'admin') throw new MycelError('PERMISSION_DENIED', `${input.key} is under ${describe(rule.prefix)}: only an admin may delete it`)
    return undefined
  }
  if (rule.immutable !== true || winner?.body.kind !== 'put') return undefined
  if (equalBytes(winner.body.digest, input.digest)) return winner
  throw new MycelError('CONFLICT', `${input.key} is immutable (${describe(rule.prefix)}) and already holds sha256:${hexOf(winner.body.digest)}`, {
    details: { key: input.key, digest: `sha256:${hexOf(winner.body.digest)}`, author: winner.author }
  })
}

function describe (prefix: string): string {
  return prefix === '' ? 'the rule for every key' : `the rule for ${prefix}`
}
