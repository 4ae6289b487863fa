// Events that arrive from peers, in a push or in an anti-entropy response.
// Each is authenticated (one signature check per hash-linked run, chain.ts),
// judged (membership, the driver's policy), watched for contradictions
// (fault-watch.ts), and then applied — or, when stamped beyond the clock's
// offset bound, held until local time catches up (held-events.ts) and judged
// again on release. Nothing here throws on bad input: a bad event is refused
// and counted.

import type { AuthorLog } from './author-log.js'
import { equalBytes } from './bytes.js'
import type { ChangeSet } from './change-set.js'
import { authenticate } from './chain.js'
import { signingBytes } from './codec.js'
import type { Event } from './event.js'
import type { FaultWatch } from './fault-watch.js'
import type { HeldEvents } from './held-events.js'
import { wallOf, type HybridClock } from './hlc.js'
import * as L from './limits.js'
import type { Verdict } from './membership.js'
import type { OwnSequence } from './own-sequence.js'
import type { PushSchedule } from './push-schedule.js'
import type { ReplicaComponents, ReplicaStats } from './replica-api.js'
import type { StableCollection } from './stable-collection.js'
import type { LwwState } from './state.js'
import type { StoredVersions } from './stored-versions.js'
import type { VersionVector } from './version-vector.js'

type Ingest = 'new' | 'duplicate' | 'superseded' | 'held' | 'rejected' | 'refused'

/** An events message being taken (takeEvents, or receiveSteps a step at a time). */
export interface TakingEvents {
  /** Per author, the lowest seq refused or held: coverage stops below it. */
  refused: Map<string, number>
  /** The coverage version before the first event was taken. */
  coverage: number
  fresh: number
  known: number
}

export interface RemoteEventsComponents {
  /** This replica's author id: an event of ours from a peer may raise our own sequence. */
  id: string
  /** Events stamped further ahead than this are refused, not held (ReplicaInit.maxHoldAheadMs). */
  maxHoldAheadMs: number
  /** Our hybrid clock: it observes what we apply and tells what is stamped too far ahead to apply yet. */
  hlc: HybridClock
  state: LwwState
  log: AuthorLog
  vv: VersionVector
  held: HeldEvents
  faults: FaultWatch
  stability: StableCollection
  changes: ChangeSet
  own: OwnSequence
  versions: StoredVersions
  /** Where an event new here is queued to be pushed on to peers. */
  pushes: PushSchedule
  driver: Pick<ReplicaComponents, 'clock' | 'verifier' | 'observer'>
  counters: Pick<ReplicaStats, 'applied' | 'duplicates' | 'superseded' | 'rejected' | 'held' | 'heldShed' | 'tooFarAhead' | 'released'>
}

export class RemoteEvents {
  private nextCheckMs: number | undefined

  constructor (private readonly c: RemoteEventsComponents) {}

  /** When held events are next looked at (releaseHeld); undefined while none is held. */
  get nextHeldCheckMs (): number | undefined {
    return this.nextCheckMs
  }

  /** A pushed batch: ingest each event, and pass on (ttl permitting) those new here. */
  takePush (from: string, events: readonly Event[], ttl: number, now: number): void {
    const authentic = this.authenticate(events)
    for (let i = 0; i < events.length; i++) {
      const e = events[i]
      if (this.ingest(from, e, authentic[i]) === 'new' && ttl > 0) this.c.pushes.add({ event: e, ttl: ttl - 1, from }, now)
    }
  }

  /** What taking one events message gathers over its steps (receiveSteps): one step unless it is large. */
  beginEvents (): TakingEvents {
    return { refused: new Map(), coverage: this.c.vv.version, fresh: 0, known: 0 }
  }

  ingestEvents (from: string, taking: TakingEvents, events: readonly Event[]): void {
    const authentic = this.authenticate(events)
    for (let i = 0; i < events.length; i++) {
      const e = events[i]
      // Events learned by anti-entropy are not pushed on: anti-entropy is itself
      // epidemic, and re-pushing after a heal would multiply traffic by the fanout.
      const r = this.ingest(from, e, authentic[i])
      if (r === 'held' || r === 'rejected') taking.refused.set(e.author, Math.min(taking.refused.get(e.author) ?? Infinity, e.seq))
      else if (r === 'duplicate') taking.known++
      else taking.fresh++
    }
  }

  releaseHeld (now: number): void {
    const ready = this.c.held.release(e => !this.c.hlc.isAhead(e.stamp))
    for (const { event, from } of ready) {
      this.c.counters.released++
      if (this.c.vv.has(event.author, event.seq)) continue
      // Judged again: what arrived while it waited (a revoke, a fault proof) may have voided it.
      const verdict = this.c.versions.authorize(event)
      if (!verdict.ok) {
        this.c.counters.rejected++
        this.c.driver.observer?.rejected?.(event, from, verdict.reason)
        if (verdict.cut === true) this.c.vv.add(event.author, event.seq, this.c.changes.vv)
        continue
      }
      if (this.applyRemote(event) === 'new') this.c.pushes.add({ event, ttl: 0 }, now)
    }
    this.nextCheckMs = this.c.held.size > 0 ? now + L.HELD_RECHECK_MS : undefined
  }

  private known (e: Event): boolean {
    return this.c.vv.has(e.author, e.seq) || this.c.held.has(e)
  }

  /** Which events of a message are authentic: one signature check per hash-chained run (chain.ts). */
  private authenticate (events: readonly Event[]): Array<boolean | undefined> {
    return authenticate(events, e => this.known(e) || this.beyondHorizon(e), e => this.signatureValid(e))
  }

  /** Stamped beyond maxHoldAheadMs: refused unread (hold()), so not worth a signature check. */
  private beyondHorizon (e: Event): boolean {
    return wallOf(e.stamp) > this.c.hlc.physicalMs() + this.c.maxHoldAheadMs
  }

  private signatureValid (e: Event): boolean {
    try {
      return this.c.driver.verifier.verify(e.author, signingBytes(e), e.sig)
    } catch {
      return false
    }
  }

  /** Checks and applies one remote event whose authenticity was decided by authenticate(). Never throws on bad input. */
  private ingest (from: string, e: Event, authentic: boolean | undefined): Ingest {
    if (this.known(e)) {
      const held = this.c.log.get(e.author, e.seq)
      // A fault proof we do not hold is looked at even when its (author, seq) is covered: its author
      // may be cut off, and a refusal of its other event at that seq (counted as seen) must not hide
      // the proof. (Another event held there makes them twins: the usual path below.)
      const hiddenProof = e.body.kind === 'fault' && held === undefined
      if (!hiddenProof) {
        this.c.counters.duplicates++
        // A different event at a seq we hold is an equivocation — if it is really the author's (one check, rare).
        if (held !== undefined && !equalBytes(held.id, e.id) && (authentic ?? this.signatureValid(e))) this.c.faults.duplicate(e, this.c.log)
        return 'duplicate'
      }
    }
    // Refused before its signature is checked: a flood of far-future events costs no verification.
    if (this.beyondHorizon(e)) return this.refuseBeyondHorizon(e, from)
    let verdict: Verdict
    try {
      verdict = (authentic ?? this.signatureValid(e)) ? this.c.versions.authorize(e) : { ok: false, final: true, reason: 'bad signature' }
    } catch (err) {
      verdict = { ok: false, final: true, reason: `verification failed: ${(err as Error).message}` }
    }
    if (!verdict.ok) {
      this.c.counters.rejected++
      this.c.driver.observer?.rejected?.(e, from, verdict.reason)
      // A refusal because the author's events stop before this one (revoked, suspended) counts as
      // seen, so nobody offers it again. Any other says nothing about the author's real event at
      // this seq — a bad signature may be a forger's, a bad grant a member's decoy — so the seq
      // stays open for the real one (counting it would hide an equivocation where no proof shows).
      if (!verdict.ok && verdict.cut === true) { this.c.vv.add(e.author, e.seq, this.c.changes.vv); return 'refused' }
      return 'rejected'
    }
    this.c.faults.arriving(e, this.c.log, this.c.stability.latest(e.author))
    if (this.c.hlc.isAhead(e.stamp)) return this.hold(e, from)
    return this.applyRemote(e)
  }

  /**
   * An event stamped beyond the offset bound waits in the hold queue (held-events.ts), bounded in
   * count and bytes. (One stamped beyond maxHoldAheadMs never gets here: it is refused outright, not
   * final — offered again, it is held once local time comes within reach — so far-future floods cost
   * no memory at all.)
   */
  private hold (e: Event, from: string): Ingest {
    const r = this.c.held.hold(e, from)
    for (const s of r.shed) {
      this.c.counters.heldShed++
      this.c.driver.observer?.shed?.(s.event, s.from)
    }
    if (!r.held) {
      this.c.counters.rejected++
      this.c.counters.heldShed++
      this.c.driver.observer?.shed?.(e, from)
      return 'rejected'
    }
    this.c.counters.held++
    this.nextCheckMs ??= this.c.driver.clock.monoMs() + L.HELD_RECHECK_MS
    this.c.driver.observer?.held?.(e, from)
    return 'held'
  }

  private refuseBeyondHorizon (e: Event, from: string): Ingest {
    this.c.counters.rejected++
    this.c.counters.tooFarAhead++
    this.c.driver.observer?.rejected?.(e, from, `stamped more than ${this.c.maxHoldAheadMs} ms ahead`)
    return 'rejected'
  }

  private applyRemote (e: Event): Ingest {
    this.c.hlc.observe(e.stamp)
    if (e.author === this.c.id) this.c.own.met(e)
    this.c.vv.add(e.author, e.seq, this.c.changes.vv)
    const r = this.c.state.apply(e)
    if (r.stored) this.c.versions.install(e, r.dropped)
    // Under rules, a version can hand the key to another (an admin's delete lets a later create through).
    if (r.newWinner !== undefined) this.c.driver.observer?.applied?.(r.newWinner, r.other, false)
    if (!r.won) { this.c.counters.superseded++; return 'superseded' }
    this.c.counters.applied++
    this.c.driver.observer?.applied?.(e, r.other, false)
    this.c.versions.afterMembershipEvent(e)
    this.c.versions.afterRulesEvent(e)
    return 'new'
  }
}
