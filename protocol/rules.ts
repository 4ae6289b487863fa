// Artifact rules: per key prefix, what the federation enforces about a key (issue #21).
//   immutable   a key is created once; a later put with other bytes never wins (rule-fold.ts)
//   deletes     who may delete: anyone with write (allow), admins only (admin), nobody (refuse)
//   replicas    at least N sites hold the bytes (placement.ts picks which, the same everywhere)
//   retention   keep the newest `keep` keys per folder and/or none older than `maxAgeMs` (retention.ts)
//
// A rule set travels as a `rules` event, written by an admin, under a unique key (never superseded):
// the rules in force for a version are those of the latest rules event stamped before it. Judging
// each version by the rules of its own time is what keeps the winner a function of the versions held
// (docs/rules.md, "Why rules are judged at each version's stamp"): a replica that collected old
// versions before a rule change reaches the same winner as one that did not.
//
// The longest matching prefix decides, as a whole: rules are not merged. The empty prefix matches
// every key. Pure: no I/O, no clock.

import { MycelError } from './errors.js'
import { parseDurationMs } from './duration.js'
import { MAX_KEY_BYTES } from './limits.js'

export type DeletePolicy = 'allow' | 'admin' | 'refuse'
export const DELETE_POLICIES: readonly DeletePolicy[] = ['allow', 'admin', 'refuse']

export interface Retention {
  /** Keep the newest `keep` keys (by their winner's stamp) of each folder under the prefix. */
  keep?: number
  /**
   * Keep keys whose winner is younger than this (ms, against the runner's clock). With `keep`, a key
   * goes only if neither keeps it: the newest `keep` stay however old (retention.ts says why).
   */
  maxAgeMs?: number
}

export interface Rule {
  prefix: string
  immutable?: boolean
  /** Absent: `admin` under an immutable rule, `allow` otherwise. */
  deletes?: DeletePolicy
  /** At least this many sites hold the bytes. */
  replicas?: number
  retention?: Retention
}

/** Bounds: a rule set is one event (MAX_EVENT_BYTES), and every lookup walks it. */
export const MAX_RULES = 64
export const MAX_REPLICAS = 64
export const MAX_RETENTION_KEEP = 1_000_000
/** Ten years: far enough for any retention, short enough for stamp arithmetic to stay exact. */
export const MAX_RETENTION_AGE_MS = 10 * 365 * 86_400_000

/** The delete policy a rule means, its default included. */
export function deletesOf (rule: Rule | undefined): DeletePolicy {
  return rule?.deletes ?? (rule?.immutable === true ? 'admin' : 'allow')
}

/** Whether a rule orders its keys (immutable, or deletes not `allow`): the fold, not last-writer-wins, picks their winner. */
export function ordersKeys (rule: Rule): boolean {
  return rule.immutable === true || deletesOf(rule) !== 'allow'
}

/** One rule set: lookups by longest prefix. */
export class RuleSet {
  /** Longest prefix first: the first match is the rule. */
  private readonly ordered: Rule[]

  constructor (readonly rules: readonly Rule[]) {
    this.ordered = [...rules].sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1))
  }

  static readonly EMPTY = new RuleSet([])

  /** The rule for `key`, if any prefix matches. */
  ruleFor (key: string): Rule | undefined {
    for (const r of this.ordered) if (key.startsWith(r.prefix)) return r
    return undefined
  }

  /** Whether any rule makes keys immutable or restricts deletes: the fast path skips the fold otherwise. */
  get ordersKeys (): boolean {
    return this.rules.some(ordersKeys)
  }
}

/**
 * Checks a rule list (from the wire, a config file or the API): USAGE errors naming the rule and the
 * field (the codec wraps them as decode errors). Returns a normalized copy: fields in a fixed order,
 * defaults left absent, so equal rule sets encode to equal bytes.
 */
export function checkRules (value: unknown, where = 'rules'): Rule[] {
  if (!Array.isArray(value)) throw MycelError.usage(`${where} must be a list of rules`)
  if (value.length > MAX_RULES) throw MycelError.usage(`${where}: at most ${MAX_RULES} rules, not ${value.length}`)
  const seen = new Set<string>()
  return value.map((raw, i) => {
    const rule = checkRule(raw, `${where}[${i}]`)
    if (seen.has(rule.prefix)) throw MycelError.usage(`${where}: two rules for prefix ${JSON.stringify(rule.prefix)}`)
    seen.add(rule.prefix)
    return rule
  })
}

const RULE_FIELDS = ['prefix', 'immutable', 'deletes', 'replicas', 'retention']

function checkRule (raw: unknown, where: string): Rule {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw MycelError.usage(`${where} must be an object`)
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o)) if (!RULE_FIELDS.includes(k)) throw MycelError.usage(`${where}: unknown field ${JSON.stringify(k)} (fields: ${RULE_FIELDS.join(', ')})`)
  if (typeof o.prefix !== 'string') throw MycelError.usage(`${where}.prefix must be a string`)
  if (new TextEncoder().encode(o.prefix).length > MAX_KEY_BYTES) throw MycelError.usage(`${where}.prefix is longer than ${MAX_KEY_BYTES} bytes`)
  if (o.prefix.startsWith('mycel:')) throw MycelError.usage(`${where}.prefix: keys under mycel: are the system's`)
  const rule: Rule = { prefix: o.prefix }
  if (o.immutable !== undefined) {
    if (typeof o.immutable !== 'boolean') throw MycelError.usage(`${where}.immutable must be true or false`)
    if (o.immutable) rule.immutable = true
  }
  if (o.deletes !== undefined) {
    if (!DELETE_POLICIES.includes(o.deletes as DeletePolicy)) throw MycelError.usage(`${where}.deletes must be one of ${DELETE_POLICIES.join(', ')}`)
    rule.deletes = o.deletes as DeletePolicy
  }
  if (o.replicas !== undefined) rule.replicas = intIn(o.replicas, 1, MAX_REPLICAS, `${where}.replicas`)
  if (o.retention !== undefined) rule.retention = checkRetention(o.retention, `${where}.retention`)
  return rule
}

function checkRetention (raw: unknown, where: string): Retention {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw MycelError.usage(`${where} must be an object with keep and/or maxAge`)
  const o = raw as Record<string, unknown>
  for (const k of Object.keys(o)) if (k !== 'keep' && k !== 'maxAge' && k !== 'maxAgeMs') throw MycelError.usage(`${where}: unknown field ${JSON.stringify(k)} (fields: keep, maxAge)`)
  const out: Retention = {}
  if (o.keep !== undefined) out.keep = intIn(o.keep, 1, MAX_RETENTION_KEEP, `${where}.keep`)
  const age = o.maxAge ?? o.maxAgeMs
  if (age !== undefined) {
    // maxAge: a duration ("30d") or ms; maxAgeMs (the wire's spelling): ms.
    const ms = typeof age === 'string' ? parseDurationMs(age, `${where}.maxAge`) : age
    out.maxAgeMs = intIn(ms, 1, MAX_RETENTION_AGE_MS, `${where}.maxAge`)
  }
  if (out.keep === undefined && out.maxAgeMs === undefined) throw MycelError.usage(`${where} needs keep, maxAge or both`)
  return out
}

function intIn (v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw MycelError.usage(`${what} must be an integer from ${min} to ${max}`)
  return v
}
