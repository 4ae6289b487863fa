// Which nodes the checkers judge, and what they are held to: the views of
// the judged nodes, the acknowledged writes the federation promised to keep,
// and every checker run over them (the files under checkers/). Also the
// watch on immutable keys, whose acknowledged creates only the state of the
// moment shows (checkers/immutable.ts).

import type { ReplicaApi } from '../protocol/replica-api.js'
import type { AckLedger } from './ack-ledger.js'
import type { ByzantineMembers } from './byzantine-members.js'
import { checkConvergence } from './checkers/convergence.js'
import { checkImmutable, type ImmutableWatch } from './checkers/immutable.js'
import { checkIntegrity } from './checkers/integrity.js'
import { checkLostWrites } from './checkers/lost-writes.js'
import type { OffsetBoundMonitor } from './checkers/offset-bound.js'
import { checkReplicas } from './checkers/replicas.js'
import { checkResurrection } from './checkers/resurrection.js'
import { checkRetention } from './checkers/retention.js'
import { checkRoles, type Revocation } from './checkers/roles.js'
import { capped, type NodeView, type Violation } from './checkers/types.js'
import { toHex } from './digests.js'
import type { SimFederation } from './federation/federation.js'
import type { History, WriteRecord } from './history.js'
import { MAX_VIOLATIONS_PER_CHECK } from './limits.js'
import type { SimNode } from './node.js'
import type { RulesLog } from './rules-log.js'
import { compareVersion } from './version.js'

export interface JudgeComponents {
  /** The cluster's nodes, by index. */
  nodes: readonly SimNode[]
  now: () => number
  history: History
  /** Every key written. */
  keys: ReadonlySet<string>
  federation: SimFederation | undefined
  byzantine: ByzantineMembers
  revocations: readonly Revocation[]
  offsetMonitor: OffsetBoundMonitor
  /** These three in runs with rules only (the acks in a federation with rules). */
  rulesLog: RulesLog | undefined
  acks: AckLedger | undefined
  immutableWatch: ImmutableWatch
}

export class Judge {
  constructor (private readonly c: JudgeComponents) {}

  /**
   * The nodes the checkers judge: up, honest, and not revoked. A revoked member is no member: every
   * daemon's membership gate cuts it off once the revocation arrives, so what it holds afterwards is
   * its own (one revoked while cut off never hears of the deletes collected without its ack). The
   * simulator keeps its links, so nothing it relays is lost to the others; it is just not judged.
   */
  judgedNodes (): SimNode[] {
    const revoked = new Set<string>()
    for (const r of this.c.revocations) if (r.durable()) revoked.add(r.target)
    return this.c.nodes.filter(n => n.status === 'up' && n.replica !== undefined && !this.c.byzantine.has(n.index) && !revoked.has(n.id))
  }

  /** The live nodes the checkers judge: in a federation, the honest members (a Byzantine or revoked member's own state is its business). */
  views (): NodeView[] {
    return this.judgedNodes().map(n => {
      const r = n.replica
      if (r === undefined) throw new Error(`assertion failed: live node ${n.id} has no replica`)
      return { id: n.id, digest: toHex(r.digest()), get: (key: string) => r.get(key), members: () => r.members?.(), rules: () => r.rules?.().set }
    })
  }

  /** Every safety invariant on the current state. */
  check (): Violation[] {
    const views = this.views()
    const writes = this.promisedWrites(views)
    const keys = this.c.keys
    return [
      ...this.checkRules(views),
      ...checkConvergence(views, [...keys]),
      ...capped(checkLostWrites(writes, views), MAX_VIOLATIONS_PER_CHECK),
      ...capped(checkResurrection(writes, views), MAX_VIOLATIONS_PER_CHECK),
      ...(this.c.federation === undefined ? [] : capped(checkRoles(views, [...keys], this.c.federation.admitted, this.c.revocations), MAX_VIOLATIONS_PER_CHECK)),
      ...capped(checkIntegrity(this.c.history, [...keys], views, this.c.byzantine.ids()), MAX_VIOLATIONS_PER_CHECK),
      ...this.c.offsetMonitor.report()
    ]
  }

  /**
   * Notes the creates of immutable keys acknowledged now (checkers/immutable.ts): the winner of the key
   * at some honest live node, and stable there by the core's own test, recomputed from the signed ack
   * rows the node holds (ack-ledger.ts). Cheap (honest nodes × immutable keys × members); the run calls
   * it every RULES_WATCH_MS.
   */
  watchRules (): void {
    const log = this.c.rulesLog
    const acks = this.c.acks
    if (log === undefined || acks === undefined) return
    const keys = log.immutableKeys()
    if (keys.length === 0) return
    // A revoked member's view of what is stable promises nothing: the members have cut it off.
    for (const n of this.judgedNodes()) {
      const r = n.replica as ReplicaApi
      for (const key of keys) {
        const w = r.get(key)
        if (w === undefined || w.body.kind !== 'put' || log.rulesAt(w.stamp).ruleFor(key)?.immutable !== true) continue
        if (acks.stable(n.index, n.incarnation, r, w)) this.c.immutableWatch.acknowledge(key, w, n.id, this.c.now())
      }
    }
  }

  /** The rules checkers (runs with rules only), on the state as it is now. */
  private checkRules (views: NodeView[]): Violation[] {
    const log = this.c.rulesLog
    if (log === undefined) return []
    this.watchRules()
    const byzantine = this.c.byzantine.ids()
    const replicated = [...log.versions.keys()].filter(k => log.current().ruleFor(k)?.replicas !== undefined)
    const live = this.c.nodes.filter(n => n.status === 'up')
    return [
      ...capped(checkImmutable(views, log, this.c.immutableWatch.acknowledged, byzantine), MAX_VIOLATIONS_PER_CHECK),
      ...capped(checkRetention(views, log, byzantine), MAX_VIOLATIONS_PER_CHECK),
      ...capped(checkReplicas(views, replicated, new Set(live.map(n => n.id))), MAX_VIOLATIONS_PER_CHECK)
    ]
  }

  /**
   * The acknowledged writes the federation promised to keep: not a Byzantine
   * member's, not a revoked member's beyond its cut (void by design), and not
   * one a Byzantine member's write superseded (a writer may overwrite; if its
   * write is voided later, what it superseded may already be collected), and
   * not one the rules may void (rules-log.ts: a put over an immutable key, a
   * delete its author's role may not make; checkers/immutable.ts holds those).
   */
  private promisedWrites (views: NodeView[]): WriteRecord[] {
    const all = this.c.history.writes
    const fed = this.c.federation
    if (fed === undefined) return all
    const m = views[0]?.members?.()
    const byzantine = this.c.byzantine.ids()
    const log = this.c.rulesLog
    const isAdmin = (author: string): boolean => fed.admitted.get(author)?.role === 'admin'
    return all.filter(w => {
      if (byzantine.has(w.author)) return false
      if (log !== undefined && log.voidable(w, isAdmin)) return false
      const cut = m?.cutOf(w.author)
      if (cut !== undefined && w.seq > cut.seq) return false
      const top = this.c.byzantine.top.get(w.key)
      return top === undefined || compareVersion(top, w) < 0
    })
  }
}
