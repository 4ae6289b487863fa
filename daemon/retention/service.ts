// Retention at one site: the dry run (`mycel retention plan`), a run on demand (`mycel retention
// run`), and the periodic run of the rules this site is the runner of.
//
//   RuleSet (the replica's rules now) ─┐
//   live winners under retention rules ┼─► planRetention (protocol/retention.ts) ─► conditional deletes
//   the clock's now ───────────────────┘                                             │ written through the replica,
//   members, roles, sites up ─► chooseRetentionRunner (protocol/retention-runner.ts)  │ durable, a slice at a time
//
// Every intervalMs each site asks, per retention rule, which site runs it (the first candidate in
// rendezvous order that it believes up); it runs only the rules it is the runner of, so the
// federation gets each tombstone once — unless the runner leaves the rule's oldest due delete
// undone for RETENTION_TAKEOVER_INTERVALS intervals per place this site stands behind it: then this
// site takes over (a runner down unseen, stuck, or not running retention at all). A run on demand runs every rule this site's role may delete
// under, whoever the runner is: the plan is the same from every site with the same winners, and
// its deletes are conditional (ifVersion), so it behaves as the runner's would.
//
// Deletes go through the replica's write, the path `mycel rm` takes: the core refuses locally what
// this site's role may not delete under the rule (local-write-rules.ts), and every replica judges
// them by the same fold. Each key is checked just before its delete is signed: if its winner is no
// longer the planned version (republished, or deleted meanwhile), it is skipped, never written.
// Runs, automatic or not, take turns (one at a time).

import { equalBytes } from '../../protocol/bytes.js'
import { MycelError } from '../../protocol/errors.js'
import type { Event, NewEventBody } from '../../protocol/event.js'
import { formatStamp } from '../../protocol/hlc.js'
import { hexOf } from '../../protocol/invite.js'
import type { Membership } from '../../protocol/membership.js'
import type { Cancel, Clock, Timers } from '../../protocol/ports.js'
import { planRetention, retentionDeleteBody, type RetentionDelete, type RetentionRulePlan } from '../../protocol/retention.js'
import { chooseRetentionRunner, mayRunRetention, type RetentionRunnerChoice } from '../../protocol/retention-runner.js'
import { checkRules, deletesOf, RuleSet, type DeletePolicy } from '../../protocol/rules.js'
import type { Logger } from '../log.js'
import { every } from '../time.js'
import { DEFAULT_RETENTION_INTERVAL_MS, RETENTION_TAKEOVER_INTERVALS, RETENTION_WRITE_SLICE } from './constants.js'
import type { RetentionDeleteInfo, RetentionPlanInfo, RetentionRuleInfo, RetentionRunInfo, RetentionRunSummary, RetentionStats } from './types.js'

/** The replica as retention reads and writes it (the daemon's ReplicaHost). */
export interface RetentionReplica {
  readonly id: string
  get: (key: string) => Event | undefined
  live: (prefix?: string) => Event[]
  write: (body: NewEventBody) => Event
  lastBatchNumber: () => number
  rules: () => { set: RuleSet }
  members: () => Membership | undefined
}

export interface RetentionComponents {
  replica: RetentionReplica
  /** Resolves once persist batch n is durable; rejects on a store failure or timeout (LocalNode.durable). */
  durable: (n: number) => Promise<void>
  /** The members this site believes up (site health: connected); this site counts as up anyway. */
  sitesUp: () => Iterable<string>
  nameOf: (peer: string) => string | undefined
  clock: Pick<Clock, 'nowMs'>
  timers: Timers
  log: Logger
}

export interface RetentionInit {
  /** How often this site runs the rules it is the runner of; the first run is one interval after start. Default 60 s. */
  intervalMs?: number
}

export class RetentionService {
  private readonly intervalMs: number
  private readonly c: RetentionComponents
  private cancel: Cancel | undefined
  /** The run in progress (or the last), which the next one waits for. */
  private turn: Promise<unknown> = Promise.resolve()
  private readonly counters: RetentionStats = { runs: 0, deleted: 0, skipped: 0, lastRun: null }
  private periodicWaiting = false
  /** Per rule this site could take over: the oldest due delete's version, and since when it has been the oldest (ms). */
  private readonly oldestDue = new Map<string, { version: string, sinceMs: number }>()

  constructor (init: RetentionInit, components: RetentionComponents) {
    this.intervalMs = init.intervalMs ?? DEFAULT_RETENTION_INTERVAL_MS
    this.c = components
  }

  start (): void {
    this.cancel = every(this.c.timers, this.intervalMs, () => { void this.periodic() })
  }

  /** Stops the timer and waits for a run in progress (its writes are the durable waits' to finish). */
  async stop (): Promise<void> {
    this.cancel?.()
    this.cancel = undefined
    await this.turn
  }

  get stats (): RetentionStats {
    return { ...this.counters }
  }

  /** The dry run: under the rules in force, or under `rules` (checked like a rules event's) if given. */
  plan (opts: { only?: string, rules?: unknown } = {}): RetentionPlanInfo {
    const given = opts.rules !== undefined
    const set = given ? new RuleSet(checkRules(opts.rules)) : this.c.replica.rules().set
    const atMs = this.c.clock.nowMs()
    const plan = planRetention(this.winners(set), set, atMs, { only: opts.only })
    return { atMs, given, rules: plan.rules.map(r => this.ruleInfo(r)), deletes: plan.deletes.map(deleteInfo), more: plan.more, lastRun: this.counters.lastRun }
  }

  /** `mycel retention run`: every rule this site's role may delete under (under `only`, if given), now. */
  async run (opts: { only?: string } = {}): Promise<RetentionRunInfo> {
    return await this.inTurn(async () => await this.runNow('manual', opts.only))
  }

  /**
   * One periodic turn: the rules this site is the runner of. A failure is logged; the next turn
   * tries again. A turn still waiting or running (a slow disk, a long manual run) makes the next
   * one skip, so turns never pile up.
   */
  private async periodic (): Promise<void> {
    if (this.periodicWaiting) return
    this.periodicWaiting = true
    try {
      await this.inTurn(async () => await this.runNow('automatic'))
    } catch (err) {
      this.c.log.warn('retention run failed', { err })
    } finally {
      this.periodicWaiting = false
    }
  }

  private async inTurn<T> (work: () => Promise<T>): Promise<T> {
    const result = this.turn.then(work)
    this.turn = result.catch(() => {})
    return await result
  }

  private async runNow (trigger: 'manual' | 'automatic', only?: string): Promise<RetentionRunInfo> {
    const self = this.c.replica.id
    const role = this.c.replica.members()?.roleNow(self)
    const set = this.c.replica.rules().set
    const atMs = this.c.clock.nowMs()
    const mine = trigger === 'manual'
      ? set.rules.filter(r => r.retention !== undefined && mayRunRetention(deletesOf(r), role)).map(r => r.prefix)
      : this.rulesToRun(set, atMs)
    if (trigger === 'automatic' && mine.length === 0) return { atMs, rules: [], deleted: [], skipped: [], more: 0 }
    const plan = planRetention(this.winners(set), set, atMs, { only, rules: mine })
    const infos = plan.rules.map(r => this.ruleInfo(r))
    if (trigger === 'manual') refuseManual(role, infos, only)
    const run: RetentionRunSummary = { atMs, trigger, deleted: 0, skipped: 0, more: plan.more, error: null }
    const deleted: RetentionDelete[] = []
    const skipped: Array<{ key: string, reason: string }> = []
    try {
      for (let i = 0; i < plan.deletes.length; i += RETENTION_WRITE_SLICE) {
        if (this.c.replica.rules().set !== set) {
          // The rules changed while a slice became durable (a keep raised, a retention removed): the
          // rest of the plan is the old rules'. The next run plans again under the new ones.
          for (const d of plan.deletes.slice(i)) skipped.push({ key: d.key, reason: 'the rules changed since the plan' })
          break
        }
        const slice = plan.deletes.slice(i, i + RETENTION_WRITE_SLICE)
        const written = this.writeSlice(slice, skipped)
        if (written.length > 0) await this.c.durable(this.c.replica.lastBatchNumber())
        deleted.push(...written)
      }
    } catch (err) {
      run.error = (err as Error).message
      throw err
    } finally {
      run.deleted = deleted.length
      run.skipped = skipped.length
      this.counters.runs++
      this.counters.deleted += deleted.length
      this.counters.skipped += skipped.length
      this.counters.lastRun = run
      if (deleted.length > 0 || skipped.length > 0 || run.error !== null) this.c.log.info('retention run', { ...run })
    }
    return { atMs, rules: infos, deleted: deleted.map(deleteInfo), skipped, more: plan.more }
  }

  /**
   * Writes the slice's deletes, synchronously, each only if its key's winner is still the version
   * planned. A write the core refuses (the role changed meanwhile) is skipped with its reason.
   */
  private writeSlice (slice: RetentionDelete[], skipped: Array<{ key: string, reason: string }>): RetentionDelete[] {
    const written: RetentionDelete[] = []
    for (const d of slice) {
      const now = this.c.replica.get(d.key)
      if (now === undefined || !equalBytes(now.id, d.version)) {
        skipped.push({ key: d.key, reason: now?.body.kind === 'put' ? 'a newer version was published since the plan' : 'deleted since the plan' })
        continue
      }
      try {
        this.c.replica.write(retentionDeleteBody(d))
        written.push(d)
      } catch (err) {
        skipped.push({ key: d.key, reason: (err as Error).message })
      }
    }
    return written
  }

  /**
   * The live winners under the rules with a retention: one live() per prefix not inside another
   * such prefix (live() walks every key, so nested rules are not walked twice).
   */
  private winners (set: RuleSet): Event[] {
    const prefixes = set.rules.filter(r => r.retention !== undefined).map(r => r.prefix)
    const outer = prefixes.filter(p => !prefixes.some(q => q !== p && p.startsWith(q)))
    return outer.flatMap(p => this.c.replica.live(p))
  }

  /**
   * The rules a periodic turn runs here: those this site is the runner of, and those whose runner has
   * left the oldest due delete undone for RETENTION_TAKEOVER_INTERVALS intervals per place this site
   * stands behind it among the candidates up (it takes over, and says so in the log).
   */
  private rulesToRun (set: RuleSet, nowMs: number): string[] {
    const self = this.c.replica.id
    const mine: string[] = []
    const up = this.upSites()
    const watched = new Map<string, { place: number, runner?: string }>()
    for (const r of set.rules) {
      if (r.retention === undefined) continue
      const choice = this.runnerOf(r.prefix, deletesOf(r), up)
      if (choice.runner === self) { mine.push(r.prefix); continue }
      const place = choice.order.filter(p => up.has(p)).indexOf(self)
      if (place > 0) watched.set(r.prefix, { place, runner: choice.runner })
    }
    for (const prefix of this.oldestDue.keys()) if (!watched.has(prefix)) this.oldestDue.delete(prefix)
    if (watched.size === 0) return mine
    const plan = planRetention(this.winners(set), set, nowMs, { rules: [...watched.keys()] })
    for (const [prefix, { place, runner }] of watched) {
      const oldest = plan.deletes.find(d => d.prefix === prefix)
      if (oldest === undefined) { this.oldestDue.delete(prefix); continue }
      const version = hexOf(oldest.version)
      const seen = this.oldestDue.get(prefix)
      if (seen === undefined || seen.version !== version) { this.oldestDue.set(prefix, { version, sinceMs: nowMs }); continue }
      const overdueMs = nowMs - seen.sinceMs
      if (overdueMs < place * RETENTION_TAKEOVER_INTERVALS * this.intervalMs) continue
      this.c.log.warn('retention: taking over a rule whose runner leaves it undone', { prefix, runner, overdueMs, key: oldest.key })
      mine.push(prefix)
    }
    return mine
  }

  /** Who runs the rule at `prefix`, as this site sees the members and which of them are up. */
  private runnerOf (prefix: string, policy: DeletePolicy, up = this.upSites()): RetentionRunnerChoice {
    const members = this.c.replica.members()?.list().map(m => ({ peer: m.peer, role: m.role })) ?? []
    return chooseRetentionRunner(prefix, policy, members, peer => up.has(peer))
  }

  /** The sites this one believes up, itself included. */
  private upSites (): Set<string> {
    const up = new Set(this.c.sitesUp())
    up.add(this.c.replica.id)
    return up
  }

  private ruleInfo (r: RetentionRulePlan): RetentionRuleInfo {
    const self = this.c.replica.id
    const choice = this.runnerOf(r.prefix, r.deletes)
    const runner = choice.runner === undefined ? null : { peerId: choice.runner, name: this.c.nameOf(choice.runner) ?? null, self: choice.runner === self }
    return {
      prefix: r.prefix,
      keep: r.retention.keep ?? null,
      maxAgeMs: r.retention.maxAgeMs ?? null,
      deletes: r.deletes,
      keys: r.keys,
      folders: r.folders,
      due: r.due,
      runner,
      candidates: choice.order.length,
      blocked: blockedWhy(r, choice.order.length, runner),
      runsHere: mayRunRetention(r.deletes, this.c.replica.members()?.roleNow(self))
    }
  }
}

/** A manual run needs a role that may delete, and, when something is due, a rule this role may run. */
function refuseManual (role: string | undefined, rules: RetentionRuleInfo[], only?: string): void {
  if (role !== 'writer' && role !== 'admin') {
    throw new MycelError('PERMISSION_DENIED', role === 'reader' ? 'this node is a reader: it cannot delete, so it cannot run retention' : 'this node is not a member (yet): it cannot run retention')
  }
  const inScope = rules.filter(r => r.due > 0 && (only === undefined || r.prefix.startsWith(only) || only.startsWith(r.prefix)))
  const notHere = inScope.filter(r => !r.runsHere && r.deletes === 'admin')
  if (notHere.length > 0 && notHere.length === inScope.length) {
    throw new MycelError('PERMISSION_DENIED', `only an admin may delete under ${notHere.map(r => JSON.stringify(r.prefix)).join(', ')}: retention there runs at an admin's site`)
  }
}

function blockedWhy (r: RetentionRulePlan, candidates: number, runner: RetentionRuleInfo['runner']): string | null {
  if (r.blocked) return 'its rule refuses deletes (deletes: refuse)'
  if (candidates === 0) return r.deletes === 'admin' ? 'no admin may run it' : 'no writer or admin may run it'
  if (runner === null) return `none of its ${candidates} candidate sites is up`
  return null
}

function deleteInfo (d: RetentionDelete): RetentionDeleteInfo {
  return { key: d.key, version: hexOf(d.version), stamp: formatStamp(d.stamp), author: d.author, rule: d.prefix, folder: d.folder, rank: d.rank, ageMs: d.ageMs, reasons: d.reasons }
}
