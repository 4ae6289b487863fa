// What a run knows of its artifact rules, as ground truth for the rules checkers (checkers/immutable.ts,
// retention.ts, replicas.ts) and for which writes the rules may void (judge.ts, promisedWrites): every
// rules event an admin wrote (dropped if lost in its author's crash), and every version of every user
// key issued — the workload's writes, with their history record (which says whether the write survived
// its author's crash), and what Byzantine members signed on their own. Kept only in runs that write
// rules (ClusterInit.rules), so no other run pays for it.

import type { Event, RulesBody } from '../protocol/event.js'
import type { Stamp } from '../protocol/hlc.js'
import { RuleSet, type Rule } from '../protocol/rules.js'
import type { WriteRecord } from './history.js'
import { compareVersion } from './version.js'

/** One version of a user key, as issued. */
export interface IssuedVersion {
  event: Event
  /** The workload's record of it; absent for what a Byzantine member signed on its own (the overwrite attack). */
  record?: WriteRecord
}

interface RulesEntry { event: Event & { body: RulesBody }, set: RuleSet, lost: boolean }

export class RulesLog {
  /** Every rules event written, oldest stamp first. */
  private readonly sets: RulesEntry[] = []
  /** key → every version issued on it. */
  readonly versions = new Map<string, IssuedVersion[]>()
  /** The keys some rule set makes immutable, kept between changes (cluster.watchRules asks often). */
  private immutable: string[] | undefined

  /** A rules event an admin wrote; the returned callback says it was lost in its author's crash. */
  addRules (event: Event & { body: RulesBody }): () => void {
    const entry: RulesEntry = { event, set: new RuleSet(event.body.rules), lost: false }
    let i = this.sets.length
    while (i > 0 && compareVersion(this.sets[i - 1].event, event) > 0) i--
    this.sets.splice(i, 0, entry)
    this.immutable = undefined
    return () => { entry.lost = true; this.immutable = undefined }
  }

  /** A put or delete issued (by the workload, or signed by a Byzantine member on its own). */
  note (event: Event, record?: WriteRecord): void {
    const key = event.body.key
    const list = this.versions.get(key)
    if (list === undefined) { this.versions.set(key, [{ event, record }]); this.immutable = undefined } else list.push({ event, record })
  }

  /** The rules in force at `stamp`: those of the latest rules event stamped before it (rules-history.ts). */
  rulesAt (stamp: Stamp): RuleSet {
    for (let i = this.sets.length - 1; i >= 0; i--) {
      const e = this.sets[i]
      if (!e.lost && e.event.stamp < stamp) return e.set
    }
    return RuleSet.EMPTY
  }

  /** The newest rule set: what every site enforces at the end. */
  current (): RuleSet {
    for (let i = this.sets.length - 1; i >= 0; i--) if (!this.sets[i].lost) return this.sets[i].set
    return RuleSet.EMPTY
  }

  /** Whether some rule set, now or before, makes `key` immutable. */
  everImmutable (key: string): boolean {
    return this.sets.some(e => !e.lost && e.set.ruleFor(key)?.immutable === true)
  }

  /** Every key issued on that some rule set, now or before, makes immutable. */
  immutableKeys (): readonly string[] {
    this.immutable ??= [...this.versions.keys()].filter(k => this.everImmutable(k))
    return this.immutable
  }

  /** The versions of `key` that exist: not lost in their author's crash. */
  existing (key: string): Event[] {
    return (this.versions.get(key) ?? []).filter(v => v.record?.lostInCrash !== true).map(v => v.event)
  }

  /**
   * Whether the rules may void a write, so that it promises nothing: a put under an immutable rule (an
   * earlier create may win), a delete whose rule's policy does not let its author delete (judged at the
   * write's stamp). Conditional deletes are left to the checkers (they promise nothing either, but a
   * counted one still stands above what it deleted).
   */
  voidable (w: WriteRecord, isAdmin: (author: string) => boolean): boolean {
    const rule: Rule | undefined = this.rulesAt(w.stamp).ruleFor(w.key)
    if (rule === undefined) return false
    if (w.kind === 'put') return rule.immutable === true
    if (w.conditional) return false
    const policy = rule.deletes ?? (rule.immutable === true ? 'admin' : 'allow')
    return policy === 'refuse' || (policy === 'admin' && !isAdmin(w.author))
  }
}
