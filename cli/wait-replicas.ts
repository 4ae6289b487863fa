// The release barrier of `publish`: `--wait-replicas N|all|factor`, `--wait-sites NAME,...`,
// `--wait-group GROUP` (repeatable), `--timeout 60s`. After the publish is durable here, `where`
// is polled until the sites the barrier names hold verified bytes of the published digest.
//
// Which sites `all` means: those whose announced policy mirrors the key (eager), plus this node,
// plus any member that announced no policy (it cannot be told apart from a mirror). An on-demand
// or `none` site never fetches on its own, so waiting for it could only time out. `--wait-sites`
// and `--wait-group` name sites outright, whatever their policy: the operator asks for them.
//
// `factor` waits for the key's replication factor (a rules `replicas` N, docs/rules.md): until N
// members hold verified bytes, as `where` counts them (its `replicas.actual`). The sites missing are
// those placement chose that do not hold yet. A key no `replicas` rule covers is a usage error, checked
// before anything is published (checkFactor), since waiting for it could only time out.
//
// If another write of the key wins meanwhile (a concurrent publish elsewhere; for an immutable key,
// an earlier create), the wait ends with CONFLICT (exit 7) naming both digests and the winner's site.
//
// A barrier that times out does not undo the publish: the key is published, and the exit code
// (6, PUBLISHED_PARTIAL) and message say so, with who holds the bytes and who is missing.

import { parseDurationInRange } from '../protocol/duration.js'
import { MycelError } from '../protocol/errors.js'
import type { RulesInfo, SettleAnswer, WhereAnswer, WhereRow } from '../daemon/api/contract.js'
import { RuleSet, type Rule } from '../protocol/rules.js'
import type { ApiClient } from './api-client.js'

const POLL_MS = 250
const MAX_TIMEOUT_MS = 24 * 3600_000

export interface Barrier {
  /** At least this many members hold the bytes, every mirroring site ('all'), or the key's replication factor ('factor'). */
  replicas?: number | 'all' | 'factor'
  /** These sites (names, or peer ids) hold the bytes. */
  sites?: string[]
  /** Every site in these groups holds the bytes. */
  groups?: string[]
}

/** Where a barrier stands: who counts, who holds, who is missing. */
export interface BarrierState {
  met: boolean
  /** Sites the barrier waits for (for a bare N: every member). */
  required: number
  holding: BarrierSite[]
  missing: BarrierSite[]
}

export interface BarrierSite {
  peerId: string
  name: string | null
  bytes: WhereRow['bytes']
  progress: number | null
}

/** `--wait-replicas N|all` (rm's, a delete has no bytes to place). */
export function parseReplicas (value: string, others = '"all"'): number | 'all' {
  if (value === 'all') return 'all'
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw MycelError.usage(`--wait-replicas must be a positive integer or ${others}, not ${value}`)
  return n
}

/** publish's `--wait-replicas N|all|factor`. */
export function parsePublishReplicas (value: string): number | 'all' | 'factor' {
  return value === 'factor' ? value : parseReplicas(value, '"all" or "factor"')
}

/** `--wait-sites a,b`: site names (or peer ids), comma-separated, repeatable. */
export function parseSites (values: string[]): string[] {
  const names = values.flatMap(v => v.split(',')).map(v => v.trim()).filter(v => v !== '')
  if (values.length > 0 && names.length === 0) throw MycelError.usage('--wait-sites needs at least one site name')
  return names
}

/** `--timeout`: a duration (protocol/duration.ts), at most a day. */
export function parseTimeout (value: string): number {
  return parseDurationInRange(value, '--timeout', 0, MAX_TIMEOUT_MS)
}

/**
 * Checks, before anything is published, that every site and group the barrier names exists (a typo
 * would otherwise publish and then wait for nobody): USAGE naming what is unknown.
 */
export async function checkBarrierNames (api: ApiClient, barrier: Barrier): Promise<void> {
  if ((barrier.sites?.length ?? 0) === 0 && (barrier.groups?.length ?? 0) === 0) return
  const members = (await api.call<Array<{ peerId: string, name: string | null, groups: string[], role: string | null }>>('GET', '/v1/members')).filter(m => m.role !== null)
  for (const site of barrier.sites ?? []) {
    if (!members.some(m => m.name === site || m.peerId === site)) throw MycelError.usage(`--wait-sites: no member is named ${site} (members: ${members.map(label).join(', ')})`)
  }
  for (const group of barrier.groups ?? []) {
    if (!members.some(m => m.groups.includes(group))) throw MycelError.usage(`--wait-group: no member is in group ${group}`)
  }
}

/**
 * Before publishing under `--wait-replicas factor`: the rules in force (GET /v1/rules) must give `key`
 * a factor, else USAGE naming the rule that covers it, if any. Returns the factor.
 */
export async function checkFactor (api: ApiClient, key: string): Promise<number> {
  const { rules } = await api.call<RulesInfo>('GET', '/v1/rules')
  const rule = new RuleSet(rules).ruleFor(key)
  if (rule?.replicas === undefined) throw MycelError.usage(noFactor(key, rule))
  return rule.replicas
}

function noFactor (key: string, rule?: Rule): string {
  const covered = rule === undefined ? 'no rule covers it' : `its rule (prefix ${JSON.stringify(rule.prefix)}) sets no replicas`
  return `--wait-replicas factor: ${key} has no replication factor (${covered}; see mycel rules)`
}

/** The barrier against one `where` answer. A site or group no member has is a usage error. */
export function judge (barrier: Barrier, answer: WhereAnswer): BarrierState {
  const rows = answer.members
  const held = (m: WhereRow): boolean => m.bytes === 'held'
  const required = new Map<string, WhereRow>()
  for (const site of barrier.sites ?? []) {
    const row = rows.find(m => m.name === site || m.peerId === site)
    if (row === undefined) throw MycelError.usage(`--wait-sites: no member is named ${site} (members: ${rows.map(label).join(', ')})`)
    required.set(row.peerId, row)
  }
  for (const group of barrier.groups ?? []) {
    const inGroup = rows.filter(m => m.groups.includes(group))
    if (inGroup.length === 0) throw MycelError.usage(`--wait-group: no member is in group ${group}`)
    for (const m of inGroup) required.set(m.peerId, m)
  }
  if (barrier.replicas === 'all') {
    for (const m of rows) if (m.self || m.mode === 'eager' || m.mode === null) required.set(m.peerId, m)
  }
  const named = [...required.values()]
  let met = named.every(held)
  let count = named.length
  if (typeof barrier.replicas === 'number') {
    met &&= rows.filter(held).length >= barrier.replicas
    count = Math.max(count, barrier.replicas)
  }
  let pool = named.length > 0 ? named : rows
  if (barrier.replicas === 'factor') {
    const factor = answer.replicas ?? null
    if (factor === null) throw MycelError.usage(noFactor(answer.key))
    met &&= factor.actual >= factor.target
    count = Math.max(count, factor.target)
    // Who holds, anywhere; who is missing: the chosen holders without the bytes (and the named sites).
    if (named.length === 0) pool = rows.filter(m => held(m) || m.placed === true)
    else pool = [...named, ...rows.filter(m => !required.has(m.peerId) && (held(m) || m.placed === true))]
  }
  // For a bare N the missing are every member without the bytes; otherwise the named ones.
  return {
    met,
    required: count,
    holding: pool.filter(held).map(site),
    missing: pool.filter(m => !held(m)).map(site)
  }
}

export function label (m: { peerId: string, name?: string | null }): string {
  return m.name ?? m.peerId
}

function site (m: WhereRow): BarrierSite {
  return { peerId: m.peerId, name: m.name ?? null, bytes: m.bytes, progress: m.progress }
}

/** One line: who holds it, who is missing and how far along. */
export function barrierText (state: BarrierState): string {
  const missing = state.missing.map(m => `${label(m)} (${m.bytes}${m.progress !== null ? ` ${(m.progress * 100).toFixed(0)}%` : ''})`)
  return `${state.holding.length} of ${state.required} sites hold it` + (missing.length > 0 ? `; missing: ${missing.join(', ')}` : '')
}

/**
 * This publish lost to another write of the key while the barrier waited (a concurrent publish at
 * another site, or, for an immutable key, an earlier create): CONFLICT, exit 7, naming both digests
 * and the winner's site. The key holds the winner everywhere; nothing of ours stands.
 */
function lostTo (key: string, ours: string, answer: WhereAnswer): MycelError {
  const site = answer.members.find(m => m.peerId === answer.author)
  const by = site?.name ?? answer.author
  return new MycelError('CONFLICT', `${key}: this publish lost to a concurrent write at ${by}: ${answer.digest} won over ours, ${ours}`, {
    details: { key, digest: answer.digest, lostDigest: ours, author: answer.author, authorName: site?.name ?? null }
  })
}

/**
 * `where` found no live key after this publish was durable: a delete won over it (an `rm` elsewhere,
 * concurrent or later). CONFLICT as for any write that wins, naming the delete's site when `settle`
 * says (its winner does not depend on the write it is asked about).
 */
async function lostToDelete (api: ApiClient, key: string, ours: string): Promise<MycelError> {
  const settled = await api.call<SettleAnswer>('GET', `/v1/settle/${encodeURIComponent(key)}`, { query: [['author', 'any'], ['seq', '1']] }).catch(() => undefined)
  const w = settled?.winner?.kind === 'delete' ? settled.winner : undefined
  const by = w === undefined ? '' : ` at ${w.authorName ?? w.author}`
  return new MycelError('CONFLICT', `${key}: this publish lost to a delete${by}: the key is deleted, ours was ${ours}`, {
    details: { key, digest: null, lostDigest: ours, author: w?.author ?? null, authorName: w?.authorName ?? null }
  })
}

/**
 * Polls `where` until the barrier is met or the timeout passes, and returns where it stands then
 * (`met` says which). `progress` is told each state (the live line).
 */
export async function waitBarrier (api: ApiClient, key: string, digest: string, barrier: Barrier, timeoutMs: number, progress?: (state: BarrierState) => void): Promise<BarrierState> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await api.call<WhereAnswer>('GET', `/v1/where/${encodeURIComponent(key)}`).catch(async (err: unknown) => {
      throw err instanceof MycelError && err.code === 'NOT_FOUND' ? await lostToDelete(api, key, digest) : err
    })
    if (answer.digest !== digest) throw lostTo(key, digest, answer)
    const state = judge(barrier, answer)
    progress?.(state)
    if (state.met || Date.now() >= deadline) return state
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
  }
}
