// What every checker reports and reads. Checkers are pure functions of the
// history and of the final state of the live nodes (or, for the offset bound,
// a monitor fed as events are applied); each lives in its own file so each can
// be shown, by a test with a doctored history, to catch the bug it is for.

import type { Event } from '../../protocol/event.js'
import type { Membership } from '../../protocol/membership.js'
import type { RuleSet } from '../../protocol/rules.js'

export type CheckName = 'convergence' | 'lost-write' | 'resurrection' | 'offset-bound' | 'integrity' | 'roles' | 'immutable' | 'retention' | 'replicas' | 'crash'

export interface Violation {
  check: CheckName
  message: string
  node?: string
  key?: string
  /** Virtual time (ms since the run began) when it was seen, for runtime checks. */
  atMs?: number
}

/** A live node's final state as the checkers see it. */
export interface NodeView {
  id: string
  /** Hex of replica.digest(). */
  digest: string
  get(key: string): Event | undefined
  /** Its membership view (a federation only). */
  members?(): Membership | undefined
  /** The artifact rules it enforces now (a federation only). */
  rules?(): RuleSet | undefined
}

/** Groups nodes by digest and keeps one per group: nodes with equal digests hold the same winners. */
export function representatives (nodes: NodeView[]): NodeView[] {
  const seen = new Set<string>()
  const reps: NodeView[] = []
  for (const n of nodes) {
    if (seen.has(n.digest)) continue
    seen.add(n.digest)
    reps.push(n)
  }
  return reps
}

/** Keeps the first `max` violations and a final one saying how many more there were. */
export function capped (violations: Violation[], max: number): Violation[] {
  if (violations.length <= max) return violations
  const first = violations[0] as Violation
  return [...violations.slice(0, max), { check: first.check, message: `… and ${violations.length - max} more ${first.check} violations` }]
}
