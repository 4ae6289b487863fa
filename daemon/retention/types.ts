// What retention answers, as plain data: the --json contract of `mycel retention plan` and `run`
// (re-exported by daemon/api/contract.ts). Stamps are `<wall ms>.<logical>`, versions hex event ids.

import type { DeletePolicy } from '../../protocol/rules.js'
import type { RetentionReason } from '../../protocol/retention.js'

export interface RetentionSite {
  peerId: string
  name: string | null
  /** It is this site. */
  self: boolean
}

/** A retention rule as this site sees it now. */
export interface RetentionRuleInfo {
  prefix: string
  keep: number | null
  maxAgeMs: number | null
  deletes: DeletePolicy
  /** Live keys under it, and their folders. */
  keys: number
  folders: number
  /** Versions its retention lets go now (before the per-run cap). */
  due: number
  /** Who runs it: the first of `candidates` (rendezvous order) this site believes up; null if none. */
  runner: RetentionSite | null
  /** Members whose role may write its deletes, in the order they take over from each other. */
  candidates: number
  /** Why retention cannot run under it, if it cannot (a rule that refuses deletes, nobody up). */
  blocked: string | null
  /** This site's role may write its deletes (`mycel retention run` here). */
  runsHere: boolean
}

export interface RetentionDeleteInfo {
  key: string
  /** The version deleted: the id (hex) of the key's winner when planned; the tombstone names it (ifVersion). */
  version: string
  stamp: string
  author: string
  /** The rule's prefix, and the key's folder (up to its last '/'). */
  rule: string
  folder: string
  /** Its place in its folder, newest first (1 = newest). */
  rank: number
  ageMs: number
  /** The rule's conditions that do not keep it: keep (beyond the newest keep), maxAge (older). */
  reasons: RetentionReason[]
}

export interface RetentionRunSummary {
  /** Wall-clock ms at which it started. */
  atMs: number
  trigger: 'automatic' | 'manual'
  deleted: number
  skipped: number
  /** Deletes left for the next run (the per-run cap). */
  more: number
  /** Why it stopped early, if it did. */
  error: string | null
}

/** GET/POST /v1/retention/plan: the dry run. */
export interface RetentionPlanInfo {
  /** The wall-clock ms the plan was made at (ages are against it). */
  atMs: number
  /** The rules were given with the request (a dry run of rules not set yet), not those in force. */
  given: boolean
  rules: RetentionRuleInfo[]
  /** What a run would delete now, oldest first (at most the per-run cap). */
  deletes: RetentionDeleteInfo[]
  more: number
  /** This site's last run, automatic or manual, since the daemon started. */
  lastRun: RetentionRunSummary | null
}

/** POST /v1/retention/run: what the run deleted (durably) and what it left. */
export interface RetentionRunInfo {
  atMs: number
  rules: RetentionRuleInfo[]
  deleted: RetentionDeleteInfo[]
  /** Planned but not deleted: the key changed meanwhile (a newer version, or deleted), or the write was refused. */
  skipped: Array<{ key: string, reason: string }>
  more: number
}

/** Counters for `status` (stats.retention). */
export interface RetentionStats {
  runs: number
  deleted: number
  skipped: number
  lastRun: RetentionRunSummary | null
}
