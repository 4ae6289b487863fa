// The versions a replica stores, kept consistent across the indexes that
// hold them: LwwState (key → versions and winner), AuthorLog (by author and
// seq), the ChangeSet of the input under way, and the keys StableCollection
// watches. An event is authorized before it joins; installed, it may remove
// what it supersedes; and a version leaves for good (discard) when a grant or
// revoke invalidates it (membership-effects.ts) or once every member has
// stably seen its key's winner. Rules and roles decide winners under rules
// (rule-fold.ts), so a change of either judges every key again.

import type { AuthorLog } from './author-log.js'
import type { ChangeSet } from './change-set.js'
import { isMembershipEvent, isRulesEvent, type Event } from './event.js'
import type { Membership, Verdict } from './membership.js'
import { applyMembershipEvent } from './membership-effects.js'
import type { ReplicaComponents, ReplicaStats } from './replica-api.js'
import { droppableUnderRules } from './rule-fold.js'
import type { RulesHistory } from './rules-history.js'
import type { StableCollection } from './stable-collection.js'
import type { LwwState } from './state.js'
import type { VersionVector } from './version-vector.js'

export interface StoredVersionsComponents {
  state: LwwState
  log: AuthorLog
  changes: ChangeSet
  stability: StableCollection
  /** Absent outside a federation: then nobody's grants or rules are obeyed. */
  membership: Membership | undefined
  rulesHistory: RulesHistory
  /** The driver's policy hook, and its observer told of removals and re-judged winners. */
  driver: Pick<ReplicaComponents, 'authorize' | 'observer'>
  counters: Pick<ReplicaStats, 'invalidated' | 'versionsCollected' | 'tombstonesCollected'>
}

export class StoredVersions {
  constructor (private readonly c: StoredVersionsComponents) {}

  authorize (e: Event): Verdict {
    const v = this.c.membership?.authorize(e) ?? { ok: true }
    if (!v.ok) return v
    const reason = this.c.driver.authorize?.(e)
    return reason === undefined ? v : { ok: false, final: false, reason }
  }

  install (e: Event, dropped: Event[]): void {
    this.c.log.add(e)
    for (const d of dropped) this.c.log.remove(d)
    this.c.changes.installed(e, dropped)
    this.c.stability.note(e.body.key, this.c.state)
  }

  /** Removes a held version for good (invalidated or collected). */
  discard (e: Event): void {
    const r = this.c.state.remove(e)
    if (!r.removed) return
    this.c.log.remove(e)
    this.c.changes.removed(e)
    if (r.newWinner !== undefined || this.c.state.get(e.body.key) === undefined) this.c.driver.observer?.removed?.(e, r.newWinner)
    if (isRulesEvent(e) && this.c.rulesHistory.remove(e)) this.rejudgeAll()
  }

  /** A grant or revoke: drop what it invalidates (membership-effects.ts). Roles decide whose deletes count under rules. */
  afterMembershipEvent (e: Event): void {
    if (this.c.membership === undefined || !isMembershipEvent(e)) return
    this.c.counters.invalidated += applyMembershipEvent(e, this.c.membership, this.c.log, ev => this.discard(ev))
    if (this.c.rulesHistory.ordersKeys) this.rejudgeAll()
  }

  /** A rules event: it joins the history, and every key is judged again under it. */
  afterRulesEvent (e: Event): void {
    if (this.c.membership === undefined || !isRulesEvent(e)) return
    if (this.c.rulesHistory.add(e)) this.rejudgeAll()
  }

  /** Drops what every member has stably seen: superseded versions below a stable winner, and stable tombstones. */
  collectStable (members: string[], vv: VersionVector): void {
    const m = this.c.membership
    const known = m === undefined ? undefined : (a: string): boolean => m.isKnown(a)
    for (const w of this.c.stability.stable(this.c.state, members, vv, known, m?.cuts())) {
      const key = w.body.key
      const old = this.c.state.superseded(key)
      const drop = this.c.state.isJudged(key) ? droppableUnderRules(w, old, this.c.stability.stableAmong(old, members, vv, known, m?.cuts())) : old
      for (const o of drop) { this.discard(o); this.c.counters.versionsCollected++ }
      if (w.body.kind === 'delete' && drop.length === old.length) { this.discard(w); this.c.counters.tombstonesCollected++ }
      if (drop.length < old.length) this.c.stability.note(key, this.c.state)
    }
  }

  /**
   * Judges every key again (rule-fold.ts) and tells the observer of each winner that changed.
   * O(keys): rules and roles change rarely, by an admin's hand.
   */
  private rejudgeAll (): void {
    for (const key of [...this.c.state.keyNames()]) {
      const changed = this.c.state.rejudge(key)
      if (changed === undefined) continue
      this.c.changes.rejudged(key)
      this.c.stability.note(key, this.c.state)
      this.c.driver.observer?.applied?.(changed.after, changed.before, false)
    }
  }
}
