// The replica's side of the acks exchange (acks.ts): the rows it sends — its
// own, signed afresh only when what it says changed, and with them the rows it
// heard from other members — and the rows it takes, each checked against the
// member it speaks for before StableCollection may count it.

import { signAck, verifyAck, type SignedAck } from './acks.js'
import type { AuthorLog } from './author-log.js'
import type { FaultWatch } from './fault-watch.js'
import * as L from './limits.js'
import type { Membership } from './membership.js'
import type { OwnSequence } from './own-sequence.js'
import type { ReplicaComponents, ReplicaStats } from './replica-api.js'
import type { StableCollection } from './stable-collection.js'

export interface AckExchangeComponents {
  /** This replica's author id: the member our own row speaks for. */
  id: string
  /** Largest encoded size of one message (ReplicaInit.maxBatchBytes): what relayed rows may take. */
  maxBatchBytes: number
  stability: StableCollection
  own: OwnSequence
  membership: Membership | undefined
  faults: FaultWatch
  log: AuthorLog
  driver: Pick<ReplicaComponents, 'signer' | 'verifier' | 'observer' | 'members'>
  counters: Pick<ReplicaStats, 'acksRefused'>
}

export class AckExchange {
  /** Our latest signed ack row, re-signed when what it says changes. */
  private ownAck: SignedAck | undefined

  constructor (private readonly c: AckExchangeComponents) {}

  /** Our own signed row (re-signed only when what it says changed), and with `relay` the rows we heard. */
  rows (relay: boolean): SignedAck[] {
    const vv = this.c.stability.durableRow()
    let own = this.ownAck
    if (own === undefined || own.vv !== vv || own.seq !== this.c.own.durableSeq || own.stamp !== this.c.own.durableHighWater) {
      own = signAck({ member: this.c.id, seq: this.c.own.durableSeq, stamp: this.c.own.durableHighWater, vv }, this.c.driver.signer)
      this.ownAck = own
      this.c.stability.heard(own)
    }
    return relay ? this.c.stability.rows(own, L.MAX_ACK_ROWS, this.c.maxBatchBytes) : [own]
  }

  /**
   * Signed rows (acks.ts): each checked against the member it speaks for, once
   * per new row; a forged one is refused and reported (the gate strikes the
   * sender). A member's newer row may expose an event it backdated.
   */
  take (from: string, rows: SignedAck[]): void {
    for (const row of rows) {
      if (!this.c.stability.enabled || !this.mayAck(row.member)) continue
      if (!this.c.stability.isNews(row)) continue
      if (!verifyAck(row, this.c.driver.verifier)) {
        this.c.counters.acksRefused++
        this.c.driver.observer?.rejected?.(undefined, from, `forged acknowledgement for ${row.member}`)
        continue
      }
      if (this.c.stability.heard(row)) this.c.faults.acked(row, this.c.log)
    }
  }

  /** Rows of members only (a federation's, or the driver's list): anyone else's cannot matter and would only take memory. */
  private mayAck (member: string): boolean {
    if (this.c.membership !== undefined) return this.c.membership.roleNow(member) !== undefined || this.c.membership.cutOf(member) !== undefined
    return this.c.driver.members?.().includes(member) ?? false
  }
}
