// Every valid rules event the replica holds, in stamp order: the rule set in force at any stamp,
// and the newest (what sites enforce now: placement, retention, local refusals). Rules events have
// unique keys and are never superseded or collected, so the history only grows — by admin writes,
// which are rare; each is one event of at most MAX_RULES rules (rules.ts).

import type { Event, RulesBody } from './event.js'
import type { Stamp } from './hlc.js'
import { ordersKeys, RuleSet } from './rules.js'
import { foldWinner, type FoldContext } from './rule-fold.js'
import { compareVersions, type Judge } from './state.js'

interface Entry { event: Event & { body: RulesBody }, set: RuleSet }

export class RulesHistory {
  /** Oldest first. */
  private readonly entries: Entry[] = []
  /**
   * The prefixes of every rule, now or before, that orders keys (immutable, or deletes not `allow`),
   * each once: asked on every write (orders), so kept rather than walked over history × rules. A key
   * under one of them whose longest-prefix rule orders nothing is judged by the fold all the same,
   * which then ends where last-writer-wins does: slower, never different.
   */
  private orderingPrefixes: string[] = []

  /** Adds a rules event; false if it was held already. */
  add (event: Event & { body: RulesBody }): boolean {
    if (this.entries.some(e => e.event === event || equalId(e.event, event))) return false
    let i = this.entries.length
    while (i > 0 && compareVersions(this.entries[i - 1].event, event) > 0) i--
    this.entries.splice(i, 0, { event, set: new RuleSet(event.body.rules) })
    this.recount()
    return true
  }

  /** Removes one (it was invalidated: its author's grant fell); false if it was not held. */
  remove (event: Event): boolean {
    const i = this.entries.findIndex(e => equalId(e.event, event))
    if (i < 0) return false
    this.entries.splice(i, 1)
    this.recount()
    return true
  }

  private recount (): void {
    const prefixes = new Set<string>()
    for (const e of this.entries) for (const r of e.set.rules) if (ordersKeys(r)) prefixes.add(r.prefix)
    this.orderingPrefixes = [...prefixes]
  }

  /** The rule set of the latest rules event stamped before `stamp` (none: the empty set). */
  at (stamp: Stamp): RuleSet {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i].event.stamp < stamp) return this.entries[i].set
    return RuleSet.EMPTY
  }

  /** The newest rule set: what this site enforces now. */
  current (): RuleSet {
    return this.entries[this.entries.length - 1]?.set ?? RuleSet.EMPTY
  }

  /** The newest rules event, if any. */
  currentEvent (): (Event & { body: RulesBody }) | undefined {
    return this.entries[this.entries.length - 1]?.event
  }

  /** Whether some rule set, now or before, orders keys (immutable or restricted deletes): the fold is needed at all. */
  get ordersKeys (): boolean {
    return this.orderingPrefixes.length > 0
  }

  /** Whether some rule, now or before, that orders keys covers `key` (then the fold judges it). */
  orders (key: string): boolean {
    for (const p of this.orderingPrefixes) if (key.startsWith(p)) return true
    return false
  }

  get size (): number { return this.entries.length }

  /** The judge LwwState asks for the winner of an ordered key (rule-fold.ts), over this history; `isAdmin` reads the membership. */
  judge (isAdmin: FoldContext['isAdmin']): Judge {
    const ctx: FoldContext = { rulesAt: stamp => this.at(stamp), isAdmin }
    return { orders: key => this.orders(key), winner: versions => foldWinner(versions, ctx) }
  }
}

function equalId (a: Event, b: Event): boolean {
  if (a.id.length !== b.id.length) return false
  for (let i = 0; i < a.id.length; i++) if (a.id[i] !== b.id[i]) return false
  return true
}
