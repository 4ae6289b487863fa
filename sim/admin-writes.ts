// What the federation's members write on a scenario's behalf, beyond the
// workload: a joiner's grant (its token from n0, its claim accepted by a
// member), revocations and rule sets (by an admin that is up). Each is kept
// as the ground truth its checkers need: the grants any member can read, the
// revocations with their revoking events, the rule sets in the rules log.

import { isMycelError } from '../protocol/errors.js'
import { revokeKey, rulesKey, type Event, type RulesBody } from '../protocol/event.js'
import { hexOf } from '../protocol/invite.js'
import type { Rule } from '../protocol/rules.js'
import type { Revocation } from './checkers/roles.js'
import type { SimFederation } from './federation/federation.js'
import type { SimNode } from './node.js'
import { Prng } from './prng.js'
import type { RulesLog } from './rules-log.js'

export interface AdminWritesComponents {
  seed: number
  /** The cluster's nodes, by index. */
  nodes: readonly SimNode[]
  /** Undefined in an open mesh: nothing to admit. */
  federation: SimFederation | undefined
  /** A Byzantine member accepts no claim. */
  isByzantine: (index: number) => boolean
  /** Present in runs with rules only. */
  rulesLog: RulesLog | undefined
}

export class AdminWrites {
  /** Grants written for joiners (token and claim): the log any member can read. */
  readonly tokenGrants: Event[] = []
  /** Revocations written, with the revoking event (its view decides the cut). */
  readonly revocations: Revocation[] = []
  private rulesWritten = 0

  constructor (private readonly c: AdminWritesComponents) {}

  /**
   * In a federation the joiner holds a token from n0 and presents its claim to
   * the first member of `links` that is up and accepts it, which writes its
   * grant (the daemon's join protocol, without the stream).
   */
  admit (joiner: SimNode, links: number[]): void {
    const fed = this.c.federation
    if (fed === undefined) return
    const { invite, claim } = fed.invite('n0', joiner.id, this.node(0).clock.nowMs())
    for (const j of links) {
      const m = this.node(j)
      if (m.status !== 'up' || this.c.isByzantine(j)) continue
      try {
        const { event } = m.write({ kind: 'member', key: fed.grantKey(joiner.id), peer: joiner.id, role: 'writer', invite, claim })
        fed.admitted.set(joiner.id, { role: 'writer', initial: false })
        this.tokenGrants.push(event)
        break
      } catch (err) {
        if (!isMycelError(err, 'PERMISSION_DENIED')) throw err
      }
    }
  }

  /** An admin that is up (n0, else n1) revokes node i. */
  revoke (i: number): boolean {
    const target = this.node(i)
    return this.byAnAdmin(admin => {
      const { event, batch } = admin.write({ kind: 'revoke', key: revokeKey(target.id, hexOf(Prng.derive(this.c.seed, `revoke:${this.revocations.length}`).bytes(16))), peer: target.id })
      // Promised only once durable at its author: a crash before that may take it (as it would a publish).
      let durable = false
      admin.whenDurable(batch, () => { durable = true })
      this.revocations.push({ target: target.id, event, durable: () => durable })
      return true
    }) ?? false
  }

  /**
   * An admin that is up (n0, else n1) writes a rule set (a rules event under a key of its own). Recorded
   * for the rules checkers, and dropped from their truth if lost in its author's crash.
   */
  writeRules (rules: Rule[]): Event | undefined {
    const log = this.c.rulesLog
    if (log === undefined) throw new Error('assertion failed: writeRules in a cluster built without rules: true')
    const nonce = hexOf(Prng.derive(this.c.seed, `rules:${this.rulesWritten++}`).bytes(16))
    return this.byAnAdmin(admin => {
      const { event, batch } = admin.write({ kind: 'rules', key: rulesKey(nonce), rules })
      const lost = log.addRules(event as Event & { body: RulesBody })
      admin.whenDurable(batch, () => {}, lost)
      return event
    })
  }

  /** `write` at the first admin that is up (n0, else n1) and whose core allows it; undefined if none does. */
  private byAnAdmin<T> (write: (admin: SimNode) => T): T | undefined {
    for (const a of [0, 1]) {
      const admin = this.c.nodes[a]
      if (admin === undefined || admin.status !== 'up') continue
      try {
        return write(admin)
      } catch (err) {
        if (!isMycelError(err, 'PERMISSION_DENIED')) throw err
      }
    }
    return undefined
  }

  private node (i: number): SimNode { return this.c.nodes[i] as SimNode }
}
