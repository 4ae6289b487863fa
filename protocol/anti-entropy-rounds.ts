// Both ends of an anti-entropy round with a peer. The round begins with our
// digest; a peer whose digest differs answers with its coverage (vv), and each
// side sends what the other lacks (anti-entropy.ts) in bounded events messages,
// pulled part by part while they bring news. When coverage is equal but the
// digests are not, the two compare per-author fingerprints and trade the events
// that differ (reconcile.ts). RoundGuard keeps two rounds from streaming the
// same events at once; what we serve of our own events stops at the durable ones.

import { buildResponse, diffVectors } from './anti-entropy.js'
import type { AuthorLog } from './author-log.js'
import { equalBytes } from './bytes.js'
import type { ChangeSet } from './change-set.js'
import type { Event } from './event.js'
import type { HeldEvents } from './held-events.js'
import * as L from './limits.js'
import type { Membership } from './membership.js'
import type { EventsMessage, FingerprintsMessage, IdsMessage, SyncMessage, VersionVectorEntries, VersionVectorMessage, WantMessage } from './messages.js'
import type { OwnSequence } from './own-sequence.js'
import type { PeerViews } from './peer-views.js'
import { answerFingerprints, divergentEvents, fingerprintsOf, unheldBeyondCuts } from './reconcile.js'
import type { TakingEvents } from './remote-events.js'
import { RoundGuard } from './round-guard.js'
import type { LwwState } from './state.js'
import type { VersionVector } from './version-vector.js'

export interface AntiEntropyRoundsComponents {
  /** This replica's author id: its own entry is served only as far as it is durable. */
  id: string
  /** Keep each peer's reported coverage in its view (ReplicaInit.keepPeerVersionVectors). */
  keepPeerVersionVectors: boolean
  /** Largest encoded size of one events message (ReplicaInit.maxBatchBytes). */
  maxBatchBytes: number
  state: LwwState
  log: AuthorLog
  vv: VersionVector
  held: HeldEvents
  changes: ChangeSet
  own: OwnSequence
  membership: Membership | undefined
  peers: PeerViews
  send: (to: string, message: SyncMessage) => void
}

export class AntiEntropyRounds {
  /** Running pulls and crossing rounds, so that no two rounds stream the same events (round-guard.ts). */
  private readonly guard = new RoundGuard(L.PULL_IDLE_MS)
  private served: { version: number, durableSelfSeq: number, entries: VersionVectorEntries } | undefined

  constructor (private readonly c: AntiEntropyRoundsComponents) {}

  /** An anti-entropy round begins with our digest; equal digests end it there. */
  start (peer: string): void {
    this.c.send(peer, { type: 'digest', digest: this.c.state.digest() })
  }

  peerDown (peer: string): void {
    this.guard.forget(peer)
  }

  answerDigest (from: string, digest: Uint8Array, now: number): void {
    if (equalBytes(digest, this.c.state.digest())) { this.c.peers.of(from).lastSyncMs = now; return }
    // While we pull from this peer, a vv would start a second response stream of the same events.
    if (this.guard.pulling(from, now)) return
    this.c.send(from, { type: 'vv', vv: this.servedVV(), reply: true })
    this.guard.answeredDigest(from, now)
  }

  /** A peer's coverage: send what it lacks (a bounded response), and ours back if it asked and no guard says otherwise. */
  answerVv (from: string, m: VersionVectorMessage, now: number): void {
    const view = this.c.peers.of(from)
    if (this.c.keepPeerVersionVectors) view.vv = m.vv
    const served = this.servedVV()
    const diff = diffVectors(m.vv, served, a => (a === this.c.id ? Math.min(this.c.vv.covered(a), this.c.own.durableSeq) : this.c.vv.covered(a)), this.c.vv.hasPending() ? a => this.c.vv.isPending(a) : undefined)
    view.ahead = diff.ahead
    view.behind = diff.behind
    view.lastSyncMs = now
    const pending: Array<[string, number]> = []
    for (const a of this.c.vv.pendingAuthors()) {
      if (a !== this.c.id) pending.push([a, Math.max(this.c.vv.covered(a), diff.theirsPending.get(a) ?? 0)])
    }
    const batches = buildResponse({
      log: this.c.log,
      needs: diff.needs,
      pending,
      maxBatchBytes: this.c.maxBatchBytes,
      maxBatches: L.ANTI_ENTROPY_BATCHES_PER_RESPONSE
    })
    for (const b of batches) this.c.send(from, b)
    if (m.reply && !this.guard.pulling(from, now) && !this.guard.crossed(from, now)) this.c.send(from, { type: 'vv', vv: served, reply: false })
    // Its digest differed from ours (that is why it asked), yet neither lacks anything: we hold different
    // events for the same coverage. Compare per author (reconcile.ts), now and then.
    if (m.reply && diff.ahead === 0 && diff.behind === 0 && now >= (view.lastFingerprintsMs ?? -Infinity) + L.FINGERPRINT_INTERVAL_MS) {
      view.lastFingerprintsMs = now
      this.c.send(from, fingerprintsOf(this.c.log))
    }
  }

  /** The end of a peer's response, its events taken (remote-events.ts): advance coverage over what it vouched for, and pull the rest while it brings news. */
  finishEvents (from: string, m: EventsMessage, taking: TakingEvents, now: number): void {
    const { refused, fresh, known, coverage } = taking
    // Nothing refused or held (the usual case): no caps to look up per entry.
    const capped = refused.size > 0 || this.c.held.size > 0
    for (const [author, fromSeq, to] of m.through) {
      const cap = capped ? Math.min(to, (refused.get(author) ?? Infinity) - 1, (this.c.held.lowestSeq(author) ?? Infinity) - 1) : to
      this.c.vv.advance(author, fromSeq, cap, this.c.changes.vv)
    }
    this.c.peers.of(from).lastSyncMs = now
    this.guard.answerArrived(from, now)
    // Pull the rest only if this response was mostly news to us. One that brought nothing
    // new, or mostly what we had, belongs to a second stream running beside another (two
    // rounds crossing, offset by a little: each would keep pulling a mostly duplicate
    // response); one of held or refused events would only be repeated. The stream that
    // brings news goes on; if none does, the next round (after PULL_IDLE_MS) resumes.
    if (m.more && (fresh > known || (known === 0 && this.c.vv.version !== coverage))) {
      this.guard.pulled(from, now)
      this.c.send(from, { type: 'vv', vv: this.servedVV(), reply: false })
    }
  }

  answerFps (from: string, m: FingerprintsMessage): void {
    const ids = answerFingerprints(m, this.c.log, L.IDS_BUDGET_BYTES, L.MAX_IDS_PER_MESSAGE)
    if (ids !== undefined) this.c.send(from, ids)
  }

  answerIds (from: string, m: IdsMessage): void {
    this.sendBounded(from, divergentEvents(m, this.c.log))
    const m2 = this.c.membership
    if (m2 !== undefined) {
      const wants = unheldBeyondCuts(m, this.c.log, a => m2.cutOf(a)?.seq)
      if (wants.length > 0) this.c.send(from, { type: 'want', wants })
    }
  }

  answerWant (from: string, m: WantMessage): void {
    const held: Event[] = []
    for (const [author, seq] of m.wants) {
      const e = this.c.log.get(author, seq)
      if (e !== undefined) held.push(e)
    }
    this.sendBounded(from, held)
  }

  /** Events as one events message (no coverage vouched for), up to the batch budget. */
  private sendBounded (to: string, candidates: Event[]): void {
    const events: Event[] = []
    let bytes = 0
    for (const e of candidates) {
      if (bytes + e.bytes.length > this.c.maxBatchBytes) break
      events.push(e)
      bytes += e.bytes.length
    }
    if (events.length > 0) this.c.send(to, { type: 'events', events, through: [], more: false })
  }

  /** Our coverage as we may serve it: own events count only once durable. Cached between changes. */
  private servedVV (): VersionVectorEntries {
    let served = this.served
    if (served === undefined || served.version !== this.c.vv.version || served.durableSelfSeq !== this.c.own.durableSeq) {
      const own = this.c.vv.covered(this.c.id)
      const entries = own <= this.c.own.durableSeq ? this.c.vv.entries() : withEntry(this.c.vv.entries(), this.c.id, this.c.own.durableSeq)
      served = { version: this.c.vv.version, durableSelfSeq: this.c.own.durableSeq, entries }
      this.served = served
    }
    return served.entries
  }
}

/** A copy of `entries` with `author`'s entry replaced: one new tuple, the others shared. */
function withEntry (entries: VersionVectorEntries, author: string, seq: number): VersionVectorEntries {
  const out = entries.slice()
  const i = out.findIndex(([a]) => a === author)
  if (i >= 0) out[i] = [author, seq]
  return out
}
