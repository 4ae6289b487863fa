// Retention (issue #21): which live keys a rule's `retention` lets go, decided from a replica's winners
// alone, so that every site with the same winners, rules and clock reading plans the same deletes.
//
// How the parts relate:
//   a rule       { prefix, retention: { keep?, maxAgeMs? } } in the rule set in force now (rules.ts);
//                a key is under it only if it is the key's longest-prefix rule.
//   a folder     the key up to its last '/' (never shorter than the rule's prefix): `snapshots/app/1`
//                is in `snapshots/app/`. `keep` counts per folder, like a registry keeps N tags per
//                repository, so one busy project cannot push another's versions out.
//   a version    a live key of the folder; its age and its place are its winner's: versions are
//                ordered newest first by their winner's stamp (the HLC: publication order, which a
//                name like `app/10` vs `app/9` does not give), ties (two authors, one stamp) by key.
//   a delete     a conditional tombstone (`ifVersion`: the winner's id, rule-fold.ts). It counts
//                only against the version planned; a version published meanwhile stays.
//
// keep and maxAge, together: a condition *keeps* a version — `keep` the newest `keep` of its folder,
// `maxAge` every version younger than it — and a version goes only if no condition the rule has
// keeps it (Harbor's retain rules and GitLab's cleanup policies combine them so; ECR's lifecycle
// rules, where either expires an image, can empty a repository nobody pushed to for a month). Why:
//   - a folder never loses its newest `keep` versions, however old: a project that published nothing
//     for 30 days still has its last releases;
//   - the count does not depend on any clock. maxAge is judged against the runner's wall clock, and
//     a runner whose clock runs ahead can only delete what is beyond `keep` anyway;
//   - maxAge alone (no keep) still means "nothing older than this", and keep alone "the newest N".
// A stamp ahead of the runner's clock makes its version younger, never older: kept longer.
//
// Why a stale or repeated plan is harmless: a replica that lacks newer versions sees fewer of them
// above each version, so it keeps *more* (never a version some up-to-date replica keeps for count),
// and its deletes name versions, so none of them removes a version published after it planned.
//
// Bounded: a plan lists at most `maxDeletes` deletes (the oldest versions first); the next run
// continues where it stopped. Pure: no I/O, no clock (`nowMs` is an argument).

import type { DeleteBody, Event } from './event.js'
import { wallOf, type Stamp } from './hlc.js'
import { MAX_RETENTION_DELETES_PER_RUN } from './limits.js'
import { deletesOf, type DeletePolicy, type Retention, type RuleSet } from './rules.js'

/** Which of its rule's conditions did not keep a version (all those the rule has: see above). */
export type RetentionReason = 'keep' | 'maxAge'

export interface RetentionDelete {
  key: string
  /** The version it deletes: the id of the key's winner, the delete's `ifVersion`. */
  version: Uint8Array
  stamp: Stamp
  author: string
  /** The rule's prefix. */
  prefix: string
  folder: string
  /** Its place in its folder, newest first: 1 is the newest. */
  rank: number
  /** Now minus its stamp's wall time (negative for a stamp ahead of the clock). */
  ageMs: number
  /** `keep`: not among the newest `keep` of its folder; `maxAge`: older than maxAge. */
  reasons: RetentionReason[]
}

/** What one retention rule says of the keys under it now. */
export interface RetentionRulePlan {
  prefix: string
  retention: Retention
  /** The rule's delete policy: `refuse` means retention cannot delete under it (`blocked`). */
  deletes: DeletePolicy
  /** Live keys whose rule it is, and the folders they are in. */
  keys: number
  folders: number
  /** Versions its retention lets go (all of them, before the cap; blocked ones included). */
  due: number
  /** The rule refuses deletes: retention lists nothing to delete under it. */
  blocked: boolean
}

export interface RetentionPlan {
  nowMs: number
  /** Every rule with a retention, longest prefix first (as the rule set orders them). */
  rules: RetentionRulePlan[]
  /** The deletes of this run, oldest version first, at most maxDeletes of them. */
  deletes: RetentionDelete[]
  /** Deletes due beyond the cap: the next run's. */
  more: number
}

export interface RetentionOptions {
  /** Only deletes of keys under this prefix (the plan is still made on whole folders). Default ''. */
  only?: string
  /** Only the rules at these prefixes list deletes (the others are still summed up). Default: every rule. */
  rules?: readonly string[]
  /** The cap on deletes. Default MAX_RETENTION_DELETES_PER_RUN. */
  maxDeletes?: number
}

/**
 * The retention plan of `winners` (a replica's live winners; other kinds are ignored) under `rules`
 * at `nowMs`. Deterministic: the same winners, rules and nowMs give the same plan, in the same order.
 */
export function planRetention (winners: Iterable<Event>, rules: RuleSet, nowMs: number, opts: RetentionOptions = {}): RetentionPlan {
  const only = opts.only ?? ''
  const maxDeletes = opts.maxDeletes ?? MAX_RETENTION_DELETES_PER_RUN
  const folders = new Map<string, { prefix: string, versions: Event[] }>()
  const perRule = new Map<string, RetentionRulePlan>()
  for (const rule of rules.rules) {
    if (rule.retention === undefined) continue
    perRule.set(rule.prefix, { prefix: rule.prefix, retention: rule.retention, deletes: deletesOf(rule), keys: 0, folders: 0, due: 0, blocked: deletesOf(rule) === 'refuse' })
  }
  for (const e of winners) {
    if (e.body.kind !== 'put') continue
    const rule = rules.ruleFor(e.body.key)
    const summary = rule === undefined ? undefined : perRule.get(rule.prefix)
    if (summary === undefined) continue
    summary.keys++
    const folder = folderOf(e.body.key, summary.prefix)
    let f = folders.get(folder)
    if (f === undefined) { f = { prefix: summary.prefix, versions: [] }; folders.set(folder, f); summary.folders++ }
    f.versions.push(e)
  }
  const due: RetentionDelete[] = []
  for (const [folder, f] of folders) {
    const summary = perRule.get(f.prefix) as RetentionRulePlan
    const gone = beyondRetention(f.versions, summary.retention, nowMs)
    summary.due += gone.length
    if (summary.blocked || (opts.rules !== undefined && !opts.rules.includes(f.prefix))) continue
    for (const { event, rank } of gone) {
      if (!event.body.key.startsWith(only)) continue
      due.push({ key: event.body.key, version: event.id, stamp: event.stamp, author: event.author, prefix: f.prefix, folder, rank, ageMs: nowMs - wallOf(event.stamp), reasons: reasonsOf(summary.retention) })
    }
  }
  due.sort((a, b) => a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  const ordered = [...perRule.values()].sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1))
  return { nowMs, rules: ordered, deletes: due.slice(0, maxDeletes), more: Math.max(0, due.length - maxDeletes) }
}

/** The conditional tombstone that carries out a planned delete. */
export function retentionDeleteBody (d: Pick<RetentionDelete, 'key' | 'version'>): DeleteBody {
  return { kind: 'delete', key: d.key, ifVersion: d.version }
}

/**
 * Whether a delete of `version` (a put) written at `deleteStamp` is one retention may have planned
 * under `rules`: an invariant checker's question ("retention never deletes a version it should
 * keep"), asked with global knowledge — `history`, every put ever written, at any site. A runner
 * counts only versions it held, all stamped below its delete (the HLC), so under `keep` at least
 * `keep` other keys of the folder must have a put stamped after the version (ties: the greater key)
 * and before the delete; under `maxAge` the version must be older than it at the delete's wall time
 * (which assumes the runner's clock did not step back between planning and writing). A stale view
 * only keeps more, so every delete of an honest runner passes, whatever it lacked.
 */
export function retentionMayDelete (version: Event, deleteStamp: Stamp, rules: RuleSet, history: Iterable<Event>): boolean {
  if (version.body.kind !== 'put') return false
  const key = version.body.key
  const rule = rules.ruleFor(key)
  const retention = rule?.retention
  if (rule === undefined || retention === undefined || deletesOf(rule) === 'refuse') return false
  if (retention.maxAgeMs !== undefined && wallOf(deleteStamp) - wallOf(version.stamp) <= retention.maxAgeMs) return false
  if (retention.keep === undefined) return true
  const folder = folderOf(key, rule.prefix)
  const newer = new Set<string>()
  for (const e of history) {
    if (e.body.kind !== 'put' || e.body.key === key || e.stamp >= deleteStamp || newestFirst(e, version) >= 0) continue
    if (rules.ruleFor(e.body.key) !== rule || folderOf(e.body.key, rule.prefix) !== folder) continue
    newer.add(e.body.key)
  }
  return newer.size >= retention.keep
}

/** A key's folder: up to its last '/', never shorter than its rule's prefix. */
export function folderOf (key: string, prefix: string): string {
  const dir = key.slice(0, key.lastIndexOf('/') + 1)
  return dir.length >= prefix.length ? dir : prefix
}

/** Newest first: the greater stamp, then the greater key. */
function newestFirst (a: Event, b: Event): number {
  if (a.stamp !== b.stamp) return a.stamp > b.stamp ? -1 : 1
  return a.body.key > b.body.key ? -1 : a.body.key < b.body.key ? 1 : 0
}

/** The versions of one folder that no condition of `retention` keeps, with their rank (1 = newest). */
function beyondRetention (versions: Event[], retention: Retention, nowMs: number): Array<{ event: Event, rank: number }> {
  versions.sort(newestFirst)
  const out: Array<{ event: Event, rank: number }> = []
  versions.forEach((event, i) => {
    const keptByCount = retention.keep !== undefined && i < retention.keep
    const keptByAge = retention.maxAgeMs !== undefined && nowMs - wallOf(event.stamp) <= retention.maxAgeMs
    if (!keptByCount && !keptByAge) out.push({ event, rank: i + 1 })
  })
  return out
}

function reasonsOf (retention: Retention): RetentionReason[] {
  const out: RetentionReason[] = []
  if (retention.keep !== undefined) out.push('keep')
  if (retention.maxAgeMs !== undefined) out.push('maxAge')
  return out
}
