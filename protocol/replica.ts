// The replication core: one replica of the federation's metadata. Inputs are
// method calls (write, receive, peerUp/peerDown, markDurable, tick); outputs go
// through the injected send and persist. No I/O, no timers, no ambient time or
// randomness: the daemon and the simulator drive the very same object.
//
// How the parts relate:
//   LwwState      key → winning event; the digest peers compare.
//   AuthorLog     the same winners indexed by (author, seq), for anti-entropy.
//   VersionVector per-author coverage; what we tell peers we have.
//   HybridClock   stamps local writes; refuses stamps beyond the offset bound.
//   HeldEvents    events from too far in the future, waiting for time to pass.
//   PushQueue     new events waiting to be pushed to a few peers; planPushes
//                 (push-plan.ts) picks the peers and splits the messages.
//   authenticate  (chain.ts) one signature check per hash-linked run of events.
//   StableCollection  (stable-collection.ts) drops tombstones (and, in a
//                 federation, superseded versions) once every member has
//                 stably seen their winner.
//   Membership    (federation only) who may write what at which stamp; a grant
//                 or revoke removes what it invalidates (membership-effects.ts).
//   CatchUpQueue  (catch-up.ts) peers that came up together get their first
//                 rounds one at a time.
//   FaultWatch    (fault-watch.ts) notices signed contradictions — twins,
//                 stamps against seqs, events stamped below their author's
//                 signed ack — which a member writes down as fault events
//                 (faults.ts); reconcile.ts finds twins nobody relayed.
// Every change to durable state is gathered during one input (a ChangeSet,
// change-set.ts) and handed to persist() as one batch; own events leave this node only once durable, so a
// crash can never make this author reuse a sequence number others have seen.

import { signAck, verifyAck, type SignedAck } from './acks.js'
import { buildResponse, diffVectors } from './anti-entropy.js'
import { AuthorLog } from './author-log.js'
import { authenticate } from './chain.js'
import { signEvent, signingBytes } from './codec.js'
import { equalBytes } from './bytes.js'
import { MycelError } from './errors.js'
import { faultKey, isMembershipEvent, isRulesEvent, type Event, type EventBody, type NewEventBody, type UnsignedEvent } from './event.js'
import { droppableUnderRules } from './rule-fold.js'
import { RulesHistory } from './rules-history.js'
import { checkLocalWrite } from './local-write-rules.js'
import { FaultWatch } from './fault-watch.js'
import { faultNonce } from './fault-key.js'
import { hexOf } from './invite.js'
import { answerFingerprints, divergentEvents, fingerprintsOf, unheldBeyondCuts } from './reconcile.js'
import { sha256 } from './sha256.js'
import { HeldEvents } from './held-events.js'
import { Membership, type Verdict } from './membership.js'
import { applyMembershipEvent } from './membership-effects.js'
import { DEFAULT_MAX_CLOCK_OFFSET_MS, HybridClock, wallOf } from './hlc.js'
import * as L from './limits.js'
import type { SyncMessage, VersionVectorEntries } from './messages.js'
import { planPushes } from './push-plan.js'
import { PushQueue, type QueuedPush } from './push-queue.js'
import { RoundGuard } from './round-guard.js'
import { CatchUpQueue } from './catch-up.js'
import { ChangeSet } from './change-set.js'
import type { ReplicaApi, ReplicaComponents, ReplicaInit, ReplicaSnapshot, ReplicaStats } from './replica-api.js'
import { LwwState } from './state.js'
import type { RuleSet } from './rules.js'
import { StableCollection } from './stable-collection.js'
import { VersionVector } from './version-vector.js'

export const REPLICA_DEFAULTS = {
  maxClockOffsetMs: DEFAULT_MAX_CLOCK_OFFSET_MS,
  antiEntropyIntervalMs: 1000,
  catchUpSpacingMs: 250,
  pushDelayMs: 10,
  pushFanout: 32,
  relayFanout: 2,
  pushTtl: 2,
  maxBatchBytes: L.DEFAULT_MAX_BATCH_BYTES,
  maxHeldEvents: L.MAX_HELD_EVENTS,
  maxHeldBytes: L.MAX_HELD_BYTES,
  maxHoldAheadMs: L.MAX_HOLD_AHEAD_MS,
  ackEveryRounds: 5,
  keepPeerVersionVectors: true,
  collectStable: true
}

interface PeerView {
  /** The peer's coverage as it last told us (kept only with keepPeerVersionVectors). */
  vv?: VersionVectorEntries
  /** Events it had that we lacked / we had that it lacked, at its last report. */
  ahead?: number
  behind?: number
  lastSyncMs?: number
  /** When we last sent it our fingerprints (reconcile.ts). */
  lastFingerprintsMs?: number
}

interface Pending {
  n: number
  vv: VersionVectorEntries
  own: Event[]
  highWater: bigint
}

type Ingest = 'new' | 'duplicate' | 'superseded' | 'held' | 'rejected' | 'refused'

/** An events message being taken (takeEvents, or receiveSteps a step at a time). */
interface TakingEvents {
  /** Per author, the lowest seq refused or held: coverage stops below it. */
  refused: Map<string, number>
  /** The coverage version before the first event was taken. */
  coverage: number
  fresh: number
  known: number
}

export class Replica implements ReplicaApi {
  readonly id: string
  private readonly cfg: typeof REPLICA_DEFAULTS
  private readonly c: ReplicaComponents
  private readonly clock: HybridClock
  private readonly state: LwwState
  private readonly membership: Membership | undefined
  /** The federation's rules events (rules.ts), oldest first; empty outside a federation. */
  private readonly rulesHistory = new RulesHistory()
  private readonly log = new AuthorLog()
  private readonly vv: VersionVector
  private readonly stability: StableCollection
  private readonly held: HeldEvents
  private readonly pushes = new PushQueue()
  private readonly peers = new Map<string, PeerView>()
  private readonly pending: Pending[] = []
  private selfSeq: number
  /** Id of our own event selfSeq, when we have it: the next write's `prev` (the hash chain, chain.ts). */
  private selfHead: Uint8Array | undefined
  private durableSelfSeq: number
  /** The HLC high-water mark of the last durable batch: what our signed ack pins (acks.ts). */
  private durableHighWater: bigint
  /** Our latest signed ack row, re-signed when what it says changes. */
  private ownAck: SignedAck | undefined
  private readonly faults = new FaultWatch()
  private batchN = 0
  private readonly changes = new ChangeSet()
  private nextAntiEntropyMs: number
  private nextPushMs: number | undefined
  private nextHeldCheckMs: number | undefined
  private rounds = 0
  private served: { version: number, durableSelfSeq: number, entries: VersionVectorEntries } | undefined
  /** Running pulls and crossing rounds, so that no two rounds stream the same events (round-guard.ts). */
  private readonly guard = new RoundGuard(L.PULL_IDLE_MS)
  private readonly catchUp: CatchUpQueue
  private peerList: string[] | undefined
  private readonly counters: ReplicaStats = {
    applied: 0, duplicates: 0, superseded: 0, rejected: 0, held: 0, heldNow: 0, heldBytes: 0, heldShed: 0, tooFarAhead: 0, pushesDropped: 0, released: 0, messagesOut: 0, antiEntropyRounds: 0, tombstonesCollected: 0, versionsCollected: 0, invalidated: 0, faultsNoticed: 0, faultsWritten: 0, acksRefused: 0
  }

  constructor (init: ReplicaInit, components: ReplicaComponents, snapshot?: ReplicaSnapshot) {
    this.id = init.id
    this.cfg = { ...REPLICA_DEFAULTS, ...stripUndefined(init) }
    this.c = components
    this.membership = init.genesis !== undefined ? new Membership(init.genesis, components.verifier) : undefined
    this.stability = new StableCollection(this.cfg.collectStable && (components.members !== undefined || this.membership !== undefined), snapshot?.vv)
    // Under rules (a federation's only: an admin writes them) the judge picks an ordered key's winner.
    this.state = new LwwState(this.membership !== undefined, this.membership === undefined
      ? undefined
      : this.rulesHistory.judge((author, seq) => this.membership?.roleOf(author, seq) === 'admin'))
    this.held = new HeldEvents({ maxEvents: this.cfg.maxHeldEvents, maxBytes: this.cfg.maxHeldBytes })
    this.catchUp = new CatchUpQueue({ spacingMs: this.cfg.catchUpSpacingMs, expireMs: this.cfg.antiEntropyIntervalMs })
    this.vv = new VersionVector(snapshot?.vv)
    this.clock = new HybridClock({ now: () => components.clock.nowMs(), maxClockOffsetMs: this.cfg.maxClockOffsetMs, highWater: snapshot?.highWater })
    let ownMax = this.vv.covered(this.id)
    const restored = snapshot?.events ?? []
    // Membership first: it decides nothing at restore (all was checked before it was stored), but later checks need it.
    this.membership?.commitAll(restored.filter(isMembershipEvent))
    // Rules next: the winner of a key under rules depends on the rules of each version's time.
    if (this.membership !== undefined) for (const e of restored) if (isRulesEvent(e)) this.rulesHistory.add(e)
    for (const e of restored) {
      this.state.apply(e)
      this.stability.note(e.body.key, this.state)
      this.log.add(e)
      this.vv.notePending(e.author, e.seq)
      this.clock.observe(e.stamp)
      if (e.author === this.id) ownMax = Math.max(ownMax, e.seq)
    }
    this.selfSeq = ownMax
    this.selfHead = restored.find(e => e.author === this.id && e.seq === ownMax)?.id
    this.durableSelfSeq = ownMax
    this.durableHighWater = snapshot?.highWater ?? 0n
    this.nextAntiEntropyMs = components.clock.monoMs() + this.jitter(this.cfg.antiEntropyIntervalMs)
  }

  // ------------------------------------------------------------ local writes

  write (input: NewEventBody): Event {
    const existing = checkLocalWrite(input, this.state.get(input.key), this.rulesHistory.current(), this.membership?.roleNow(this.id))
    if (existing !== undefined) return existing
    const body = this.withView(input)
    const unsigned: UnsignedEvent = { v: 1, author: this.id, seq: this.selfSeq + 1, stamp: this.clock.tick(), body }
    if (this.selfHead !== undefined) unsigned.prev = this.selfHead
    const event = signEvent(unsigned, this.c.signer)
    const verdict = this.authorize(event)
    if (!verdict.ok) throw new MycelError('PERMISSION_DENIED', verdict.reason)
    this.selfSeq = event.seq
    this.selfHead = event.id
    this.vv.add(this.id, event.seq, this.changes.vv)
    try {
      const r = this.state.apply(event)
      if (!r.won) throw new Error('assertion failed: a local write lost to an older stamp')
      this.install(event, r.dropped)
      this.changes.wrote(event)
      this.counters.applied++
      this.c.observer?.applied?.(event, r.other, true)
      this.afterMembershipEvent(event)
      this.afterRulesEvent(event)
    } finally {
      this.flush()
    }
    return event
  }

  /** A membership event carries its author's view (membership.ts): ours, as of now. */
  private withView (input: NewEventBody): EventBody {
    if (input.kind !== 'member' && input.kind !== 'revoke' && input.kind !== 'fault') return input
    const seen = this.membership?.seenFor(a => this.vv.covered(a), input.peer) ?? []
    return { ...input, seen }
  }

  /** The number of the last batch handed to persist (a write's batch, right after write()). */
  lastBatchNumber (): number {
    return this.batchN
  }

  markDurable (n: number): void {
    const now = this.c.clock.monoMs()
    while (this.pending.length > 0 && this.pending[0].n <= n) {
      const p = this.pending.shift() as Pending
      this.stability.durable(p.vv)
      if (p.highWater > this.durableHighWater) this.durableHighWater = p.highWater
      for (const e of p.own) {
        this.durableSelfSeq = Math.max(this.durableSelfSeq, e.seq)
        this.queuePush({ event: e, ttl: -1 }, now)
      }
    }
  }

  // ------------------------------------------------------------ messages in

  receive (from: string, message: SyncMessage): void {
    this.step(() => { this.dispatch(from, message) })
  }

  /**
   * receive(), in steps, for a driver that must not spend one long stretch on one message (the
   * daemon: a peer's 4 MiB push holds ~15 000 events, seconds of signature checks). A step takes at
   * most `step.events` events and, once it holds `step.bytes` encoded bytes, no more. Each iteration
   * is one step, as complete as an input of its own (findings written, changes persisted); the driver
   * may run other inputs between them. A message that fits one step is exactly receive(). A driver
   * that stops iterating (its peer was cut off) leaves what the steps took taken; of an events
   * message, the coverage it vouched for (taken at its last step) is then not advanced, which is
   * always safe: it is asked again.
   */
  * receiveSteps (from: string, message: SyncMessage, step = { events: L.RECEIVE_STEP_EVENTS, bytes: L.RECEIVE_STEP_BYTES }): Generator<void, void, void> {
    const parts = message.type === 'push' || message.type === 'events' ? splitEvents(message.events, step.events, step.bytes) : []
    if (parts.length <= 1) {
      this.receive(from, message)
      return
    }
    if (message.type === 'push') {
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) yield
        this.step(() => { this.takePush(from, parts[i] as Event[], message.ttl, this.c.clock.monoMs()) })
      }
      return
    }
    if (message.type !== 'events') return
    const taking = this.beginEvents()
    for (const part of parts) {
      this.step(() => { this.ingestEvents(from, taking, part) })
      yield
    }
    if (!this.peers.has(from)) return // the peer went down meanwhile: nothing to pull from it
    this.step(() => { this.finishEvents(from, message, taking, this.c.clock.monoMs()) })
  }

  /** One input's worth of work: findings written and the changes handed to persist, whatever happens. */
  private step (work: () => void): void {
    try {
      work()
      this.writeFindings()
    } finally {
      this.flush()
    }
  }

  private dispatch (from: string, m: SyncMessage): void {
    const now = this.c.clock.monoMs()
    switch (m.type) {
      case 'digest':
        if (equalBytes(m.digest, this.state.digest())) { this.peer(from).lastSyncMs = now; return }
        // While we pull from this peer, a vv would start a second response stream of the same events.
        if (this.guard.pulling(from, now)) return
        this.send(from, { type: 'vv', vv: this.servedVV(), reply: true })
        this.guard.answeredDigest(from, now)
        return
      case 'vv':
        this.answerVv(from, m, now)
        return
      case 'events':
        this.takeEvents(from, m, now)
        return
      case 'push':
        this.takePush(from, m.events, m.ttl, now)
        return
      case 'acks':
        this.takeAcks(from, m.acks)
        if (m.reply) this.send(from, { type: 'acks', acks: this.ackRows(true), reply: false })
        return
      case 'fps': {
        const ids = answerFingerprints(m, this.log, L.IDS_BUDGET_BYTES, L.MAX_IDS_PER_MESSAGE)
        if (ids !== undefined) this.send(from, ids)
        return
      }
      case 'ids': {
        this.sendBounded(from, divergentEvents(m, this.log))
        const m2 = this.membership
        if (m2 !== undefined) {
          const wants = unheldBeyondCuts(m, this.log, a => m2.cutOf(a)?.seq)
          if (wants.length > 0) this.send(from, { type: 'want', wants })
        }
        return
      }
      case 'want': {
        const held: Event[] = []
        for (const [author, seq] of m.wants) {
          const e = this.log.get(author, seq)
          if (e !== undefined) held.push(e)
        }
        this.sendBounded(from, held)
      }
    }
  }

  /** Events as one events message (no coverage vouched for), up to the batch budget. */
  private sendBounded (to: string, candidates: Event[]): void {
    const events: Event[] = []
    let bytes = 0
    for (const e of candidates) {
      if (bytes + e.bytes.length > this.cfg.maxBatchBytes) break
      events.push(e)
      bytes += e.bytes.length
    }
    if (events.length > 0) this.send(to, { type: 'events', events, through: [], more: false })
  }

  /**
   * Signed rows (acks.ts): each checked against the member it speaks for, once
   * per new row; a forged one is refused and reported (the gate strikes the
   * sender). A member's newer row may expose an event it backdated.
   */
  private takeAcks (from: string, rows: SignedAck[]): void {
    for (const row of rows) {
      if (!this.stability.enabled || !this.mayAck(row.member)) continue
      if (!this.stability.isNews(row)) continue
      if (!verifyAck(row, this.c.verifier)) {
        this.counters.acksRefused++
        this.c.observer?.rejected?.(undefined, from, `forged acknowledgement for ${row.member}`)
        continue
      }
      if (this.stability.heard(row)) this.faults.acked(row, this.log)
    }
  }

  /** Rows of members only (a federation's, or the driver's list): anyone else's cannot matter and would only take memory. */
  private mayAck (member: string): boolean {
    if (this.membership !== undefined) return this.membership.roleNow(member) !== undefined || this.membership.cutOf(member) !== undefined
    return this.c.members?.().includes(member) ?? false
  }

  /** A peer's coverage: send what it lacks (a bounded response), and ours back if it asked and no guard says otherwise. */
  private answerVv (from: string, m: Extract<SyncMessage, { type: 'vv' }>, now: number): void {
    const view = this.peer(from)
    if (this.cfg.keepPeerVersionVectors) view.vv = m.vv
    const served = this.servedVV()
    const diff = diffVectors(m.vv, served, a => (a === this.id ? Math.min(this.vv.covered(a), this.durableSelfSeq) : this.vv.covered(a)), this.vv.hasPending() ? a => this.vv.isPending(a) : undefined)
    view.ahead = diff.ahead
    view.behind = diff.behind
    view.lastSyncMs = now
    const pending: Array<[string, number]> = []
    for (const a of this.vv.pendingAuthors()) {
      if (a !== this.id) pending.push([a, Math.max(this.vv.covered(a), diff.theirsPending.get(a) ?? 0)])
    }
    const batches = buildResponse({
      log: this.log,
      needs: diff.needs,
      pending,
      maxBatchBytes: this.cfg.maxBatchBytes,
      maxBatches: L.ANTI_ENTROPY_BATCHES_PER_RESPONSE
    })
    for (const b of batches) this.send(from, b)
    if (m.reply && !this.guard.pulling(from, now) && !this.guard.crossed(from, now)) this.send(from, { type: 'vv', vv: served, reply: false })
    // Its digest differed from ours (that is why it asked), yet neither lacks anything: we hold different
    // events for the same coverage. Compare per author (reconcile.ts), now and then.
    if (m.reply && diff.ahead === 0 && diff.behind === 0 && now >= (view.lastFingerprintsMs ?? -Infinity) + L.FINGERPRINT_INTERVAL_MS) {
      view.lastFingerprintsMs = now
      this.send(from, fingerprintsOf(this.log))
    }
  }

  /** Part of a peer's response: ingest, advance coverage over what it vouched for, and pull the rest while it brings news. */
  private takeEvents (from: string, m: Extract<SyncMessage, { type: 'events' }>, now: number): void {
    const taking = this.beginEvents()
    this.ingestEvents(from, taking, m.events)
    this.finishEvents(from, m, taking, now)
  }

  /** What taking one events message gathers over its steps (receiveSteps): one step unless it is large. */
  private beginEvents (): TakingEvents {
    return { refused: new Map(), coverage: this.vv.version, fresh: 0, known: 0 }
  }

  private ingestEvents (from: string, taking: TakingEvents, events: readonly Event[]): void {
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

  private finishEvents (from: string, m: Extract<SyncMessage, { type: 'events' }>, taking: TakingEvents, now: number): void {
    const { refused, fresh, known, coverage } = taking
    // Nothing refused or held (the usual case): no caps to look up per entry.
    const capped = refused.size > 0 || this.held.size > 0
    for (const [author, fromSeq, to] of m.through) {
      const cap = capped ? Math.min(to, (refused.get(author) ?? Infinity) - 1, (this.held.lowestSeq(author) ?? Infinity) - 1) : to
      this.vv.advance(author, fromSeq, cap, this.changes.vv)
    }
    this.peer(from).lastSyncMs = now
    this.guard.answerArrived(from, now)
    // Pull the rest only if this response was mostly news to us. One that brought nothing
    // new, or mostly what we had, belongs to a second stream running beside another (two
    // rounds crossing, offset by a little: each would keep pulling a mostly duplicate
    // response); one of held or refused events would only be repeated. The stream that
    // brings news goes on; if none does, the next round (after PULL_IDLE_MS) resumes.
    if (m.more && (fresh > known || (known === 0 && this.vv.version !== coverage))) {
      this.guard.pulled(from, now)
      this.send(from, { type: 'vv', vv: this.servedVV(), reply: false })
    }
  }

  /** A pushed batch: ingest each event, and pass on (ttl permitting) those new here. */
  private takePush (from: string, events: readonly Event[], ttl: number, now: number): void {
    const authentic = this.authenticate(events)
    for (let i = 0; i < events.length; i++) {
      const e = events[i]
      if (this.ingest(from, e, authentic[i]) === 'new' && ttl > 0) this.queuePush({ event: e, ttl: ttl - 1, from }, now)
    }
  }

  private known (e: Event): boolean {
    return this.vv.has(e.author, e.seq) || this.held.has(e)
  }

  /** Which events of a message are authentic: one signature check per hash-chained run (chain.ts). */
  private authenticate (events: readonly Event[]): Array<boolean | undefined> {
    return authenticate(events, e => this.known(e) || this.beyondHorizon(e), e => this.signatureValid(e))
  }

  /** Stamped beyond maxHoldAheadMs: refused unread (hold()), so not worth a signature check. */
  private beyondHorizon (e: Event): boolean {
    return wallOf(e.stamp) > this.clock.physicalMs() + this.cfg.maxHoldAheadMs
  }

  private signatureValid (e: Event): boolean {
    try {
      return this.c.verifier.verify(e.author, signingBytes(e), e.sig)
    } catch {
      return false
    }
  }

  /** Checks and applies one remote event whose authenticity was decided by authenticate(). Never throws on bad input. */
  private ingest (from: string, e: Event, authentic: boolean | undefined): Ingest {
    if (this.known(e)) {
      const held = this.log.get(e.author, e.seq)
      // A fault proof we do not hold is looked at even when its (author, seq) is covered: its author
      // may be cut off, and a refusal of its other event at that seq (counted as seen) must not hide
      // the proof. (Another event held there makes them twins: the usual path below.)
      const hiddenProof = e.body.kind === 'fault' && held === undefined
      if (!hiddenProof) {
        this.counters.duplicates++
        // A different event at a seq we hold is an equivocation — if it is really the author's (one check, rare).
        if (held !== undefined && !equalBytes(held.id, e.id) && (authentic ?? this.signatureValid(e))) this.faults.duplicate(e, this.log)
        return 'duplicate'
      }
    }
    // Refused before its signature is checked: a flood of far-future events costs no verification.
    if (this.beyondHorizon(e)) return this.refuseBeyondHorizon(e, from)
    let verdict: Verdict
    try {
      verdict = (authentic ?? this.signatureValid(e)) ? this.authorize(e) : { ok: false, final: true, reason: 'bad signature' }
    } catch (err) {
      verdict = { ok: false, final: true, reason: `verification failed: ${(err as Error).message}` }
    }
    if (!verdict.ok) {
      this.counters.rejected++
      this.c.observer?.rejected?.(e, from, verdict.reason)
      // A refusal because the author's events stop before this one (revoked, suspended) counts as
      // seen, so nobody offers it again. Any other says nothing about the author's real event at
      // this seq — a bad signature may be a forger's, a bad grant a member's decoy — so the seq
      // stays open for the real one (counting it would hide an equivocation where no proof shows).
      if (!verdict.ok && verdict.cut === true) { this.vv.add(e.author, e.seq, this.changes.vv); return 'refused' }
      return 'rejected'
    }
    this.faults.arriving(e, this.log, this.stability.latest(e.author))
    if (this.clock.isAhead(e.stamp)) return this.hold(e, from)
    return this.applyRemote(e)
  }

  /**
   * An event stamped beyond the offset bound waits in the hold queue (held-events.ts), bounded in
   * count and bytes. (One stamped beyond maxHoldAheadMs never gets here: it is refused outright, not
   * final — offered again, it is held once local time comes within reach — so far-future floods cost
   * no memory at all.)
   */
  private hold (e: Event, from: string): Ingest {
    const r = this.held.hold(e, from)
    for (const s of r.shed) {
      this.counters.heldShed++
      this.c.observer?.shed?.(s.event, s.from)
    }
    if (!r.held) {
      this.counters.rejected++
      this.counters.heldShed++
      this.c.observer?.shed?.(e, from)
      return 'rejected'
    }
    this.counters.held++
    this.nextHeldCheckMs ??= this.c.clock.monoMs() + L.HELD_RECHECK_MS
    this.c.observer?.held?.(e, from)
    return 'held'
  }

  private refuseBeyondHorizon (e: Event, from: string): Ingest {
    this.counters.rejected++
    this.counters.tooFarAhead++
    this.c.observer?.rejected?.(e, from, `stamped more than ${this.cfg.maxHoldAheadMs} ms ahead`)
    return 'rejected'
  }

  private applyRemote (e: Event): Ingest {
    this.clock.observe(e.stamp)
    if (e.author === this.id && e.seq > this.selfSeq) {
      // Our own event from before a loss of local state: never reuse its number.
      this.selfSeq = e.seq
      this.selfHead = e.id
      this.durableSelfSeq = Math.max(this.durableSelfSeq, e.seq)
    }
    this.vv.add(e.author, e.seq, this.changes.vv)
    const r = this.state.apply(e)
    if (r.stored) this.install(e, r.dropped)
    // Under rules, a version can hand the key to another (an admin's delete lets a later create through).
    if (r.newWinner !== undefined) this.c.observer?.applied?.(r.newWinner, r.other, false)
    if (!r.won) { this.counters.superseded++; return 'superseded' }
    this.counters.applied++
    this.c.observer?.applied?.(e, r.other, false)
    this.afterMembershipEvent(e)
    this.afterRulesEvent(e)
    return 'new'
  }

  private authorize (e: Event): Verdict {
    const v = this.membership?.authorize(e) ?? { ok: true }
    if (!v.ok) return v
    const reason = this.c.authorize?.(e)
    return reason === undefined ? v : { ok: false, final: false, reason }
  }

  private install (e: Event, dropped: Event[]): void {
    this.log.add(e)
    for (const d of dropped) this.log.remove(d)
    this.changes.installed(e, dropped)
    this.stability.note(e.body.key, this.state)
  }

  /** Removes a held version for good (invalidated or collected). */
  private discard (e: Event): void {
    const r = this.state.remove(e)
    if (!r.removed) return
    this.log.remove(e)
    this.changes.removed(e)
    if (r.newWinner !== undefined || this.state.get(e.body.key) === undefined) this.c.observer?.removed?.(e, r.newWinner)
    if (isRulesEvent(e) && this.rulesHistory.remove(e)) this.rejudgeAll()
  }

  /** A grant or revoke: drop what it invalidates (membership-effects.ts). Roles decide whose deletes count under rules. */
  private afterMembershipEvent (e: Event): void {
    if (this.membership === undefined || !isMembershipEvent(e)) return
    this.counters.invalidated += applyMembershipEvent(e, this.membership, this.log, ev => this.discard(ev))
    if (this.rulesHistory.ordersKeys) this.rejudgeAll()
  }

  /** A rules event: it joins the history, and every key is judged again under it. */
  private afterRulesEvent (e: Event): void {
    if (this.membership === undefined || !isRulesEvent(e)) return
    if (this.rulesHistory.add(e)) this.rejudgeAll()
  }

  /**
   * Judges every key again (rule-fold.ts) and tells the observer of each winner that changed.
   * O(keys): rules and roles change rarely, by an admin's hand.
   */
  private rejudgeAll (): void {
    for (const key of [...this.state.keyNames()]) {
      const changed = this.state.rejudge(key)
      if (changed === undefined) continue
      this.changes.rejudged(key)
      this.stability.note(key, this.state)
      this.c.observer?.applied?.(changed.after, changed.before, false)
    }
  }

  // ------------------------------------------------------------ peers and time

  peerUp (peer: string): void {
    if (peer === this.id) return
    this.peer(peer)
    // A (re)connected peer catches up without waiting a period; when many come up at once, one at a time.
    if (this.catchUp.up(peer, this.c.clock.monoMs())) this.startRound(peer)
  }

  peerDown (peer: string): void {
    if (this.peers.delete(peer)) this.peerList = undefined
    this.guard.forget(peer)
    this.catchUp.down(peer)
  }

  tick (): number {
    const now = this.c.clock.monoMs()
    try {
      if (this.nextHeldCheckMs !== undefined && now >= this.nextHeldCheckMs) this.releaseHeld(now)
      if (this.nextPushMs !== undefined && now >= this.nextPushMs) this.flushPushes()
      const caughtUp = this.catchUp.due(now)
      if (caughtUp !== undefined) this.startRound(caughtUp)
      if (now >= this.nextAntiEntropyMs) {
        this.antiEntropyRound()
        this.nextAntiEntropyMs = now + this.jitter(this.cfg.antiEntropyIntervalMs)
      }
      this.writeFindings()
    } finally {
      this.flush()
    }
    return this.nextTickMs()
  }

  /** When tick() next has work; call tick() after every input too, as inputs can bring it closer. */
  nextTickMs (): number {
    let next = Math.min(this.nextAntiEntropyMs, this.catchUp.nextMs())
    if (this.nextPushMs !== undefined) next = Math.min(next, this.nextPushMs)
    if (this.nextHeldCheckMs !== undefined) next = Math.min(next, this.nextHeldCheckMs)
    return next
  }

  private antiEntropyRound (): void {
    const connected = this.peerIds()
    if (connected.length === 0) return
    const peer = connected[this.c.random.int(connected.length)]
    this.rounds++
    this.counters.antiEntropyRounds++
    this.startRound(peer)
    if (!this.stability.enabled || this.rounds % this.cfg.ackEveryRounds !== 0) return
    const members = this.c.members?.() ?? this.membership?.members() ?? []
    if (this.stability.pending) {
      this.send(peer, { type: 'acks', acks: this.ackRows(true), reply: true })
      this.collectStable(members)
    } else if (this.membership !== undefined) {
      // Nothing to collect, but our signed row still goes out: it pins our clock, so nothing we
      // write later can be stamped below it without proving us a backdater (acks.ts).
      this.send(peer, { type: 'acks', acks: this.ackRows(false), reply: false })
    }
  }

  /** Our own signed row (re-signed only when what it says changed), and with `relay` the rows we heard. */
  private ackRows (relay: boolean): SignedAck[] {
    const vv = this.stability.durableRow()
    let own = this.ownAck
    if (own === undefined || own.vv !== vv || own.seq !== this.durableSelfSeq || own.stamp !== this.durableHighWater) {
      own = signAck({ member: this.id, seq: this.durableSelfSeq, stamp: this.durableHighWater, vv }, this.c.signer)
      this.ownAck = own
      this.stability.heard(own)
    }
    return relay ? this.stability.rows(own, L.MAX_ACK_ROWS, this.cfg.maxBatchBytes) : [own]
  }

  /**
   * Contradictions FaultWatch noticed become fault events, which every member
   * checks for itself and which suspend the accused from the fault's seq
   * (faults.ts). Only a member can write; one that is not just counts them.
   */
  private writeFindings (): void {
    if (!this.faults.pending) return
    const found = this.faults.take()
    this.counters.faultsNoticed += found.length
    const m = this.membership
    if (m === undefined || m.roleNow(this.id) === undefined) return
    for (const f of found) {
      const cut = m.cutOf(f.peer)
      if (cut?.kind === 'fault' && cut.seq < f.fromSeq) continue // already suspended at or before this fault
      try {
        this.write({ kind: 'fault', key: faultKey(f.peer, faultNonce(this.id, f.a, f.b)), peer: f.peer, proof: f.proof, a: f.a, b: f.b })
        this.counters.faultsWritten++
      } catch (err) {
        this.c.observer?.rejected?.(undefined, '', `could not record a fault of ${f.peer}: ${(err as Error).message}`)
      }
    }
  }

  /** Drops what every member has stably seen: superseded versions below a stable winner, and stable tombstones. */
  private collectStable (members: string[]): void {
    const m = this.membership
    const known = m === undefined ? undefined : (a: string): boolean => m.isKnown(a)
    for (const w of this.stability.stable(this.state, members, this.vv, known, m?.cuts())) {
      const key = w.body.key
      const old = this.state.superseded(key)
      const drop = this.state.isJudged(key) ? droppableUnderRules(w, old, this.stability.stableAmong(old, members, this.vv, known, m?.cuts())) : old
      for (const o of drop) { this.discard(o); this.counters.versionsCollected++ }
      if (w.body.kind === 'delete' && drop.length === old.length) { this.discard(w); this.counters.tombstonesCollected++ }
      if (drop.length < old.length) this.stability.note(key, this.state)
    }
  }

  private releaseHeld (now: number): void {
    const ready = this.held.release(e => !this.clock.isAhead(e.stamp))
    for (const { event, from } of ready) {
      this.counters.released++
      if (this.vv.has(event.author, event.seq)) continue
      // Judged again: what arrived while it waited (a revoke, a fault proof) may have voided it.
      const verdict = this.authorize(event)
      if (!verdict.ok) {
        this.counters.rejected++
        this.c.observer?.rejected?.(event, from, verdict.reason)
        if (verdict.cut === true) this.vv.add(event.author, event.seq, this.changes.vv)
        continue
      }
      if (this.applyRemote(event) === 'new') this.queuePush({ event, ttl: 0 }, now)
    }
    this.nextHeldCheckMs = this.held.size > 0 ? now + L.HELD_RECHECK_MS : undefined
  }

  // ------------------------------------------------------------ push

  private queuePush (item: QueuedPush, now: number): void {
    this.pushes.add(item)
    this.nextPushMs ??= now + this.cfg.pushDelayMs
  }

  private flushPushes (): void {
    this.nextPushMs = undefined
    const others = this.c.peerCount?.() ?? (this.c.members?.().length ?? this.membership?.members().length ?? 0) - 1
    for (const { to, message } of planPushes(this.pushes.take(), this.peerIds(), others, this.cfg, n => this.c.random.int(n))) this.send(to, message)
  }

  // ------------------------------------------------------------ output

  /** An anti-entropy round begins with our digest; equal digests end it there. */
  private startRound (peer: string): void {
    this.send(peer, { type: 'digest', digest: this.state.digest() })
  }

  private send (to: string, message: SyncMessage): void {
    this.counters.messagesOut++
    this.c.send(to, message)
  }

  /** Our coverage as we may serve it: own events count only once durable. Cached between changes. */
  private servedVV (): VersionVectorEntries {
    let served = this.served
    if (served === undefined || served.version !== this.vv.version || served.durableSelfSeq !== this.durableSelfSeq) {
      const own = this.vv.covered(this.id)
      const entries = own <= this.durableSelfSeq ? this.vv.entries() : withEntry(this.vv.entries(), this.id, this.durableSelfSeq)
      served = { version: this.vv.version, durableSelfSeq: this.durableSelfSeq, entries }
      this.served = served
    }
    return served.entries
  }

  private flush (): void {
    if (this.changes.isEmpty()) return
    const { batch, own } = this.changes.take(++this.batchN, this.clock.highWater(), a => this.vv.entry(a), key => this.state.get(key))
    this.pending.push({ n: batch.n, vv: batch.vv, own, highWater: batch.highWater })
    this.c.persist(batch)
  }

  // ------------------------------------------------------------ reads

  get (key: string): Event | undefined { return this.state.get(key) }
  /** The rules this site enforces now (the newest rules event's), and that event. */
  rules (): { set: RuleSet, event?: Event } { return { set: this.rulesHistory.current(), event: this.rulesHistory.currentEvent() } }
  live (prefix?: string): Event[] { return this.state.live(prefix) }
  page (prefix: string, after: string | undefined, limit: number): { events: Event[], more: boolean } { return this.state.page(prefix, after, limit) }
  counts (): { keys: number, tombstones: number } { return this.state.counts() }
  digest (): Uint8Array { return this.state.digest() }
  versionVector (): VersionVectorEntries { return this.vv.entries() }
  highWater (): bigint { return this.clock.highWater() }
  connectedPeers (): string[] { return [...this.peers.keys()] }

  /** What we know of a connected peer: lag at its last report, its coverage (if kept), last sync. */
  peerStatus (peer: string): { vv?: VersionVectorEntries, ahead?: number, behind?: number, lastSyncMs?: number } | undefined {
    return this.peers.get(peer)
  }

  /** The federation's membership view, when this replica belongs to one. */
  members (): Membership | undefined {
    return this.membership
  }

  stats (): ReplicaStats {
    return { ...this.counters, heldNow: this.held.size, heldBytes: this.held.bytes, pushesDropped: this.pushes.dropped }
  }

  // ------------------------------------------------------------ helpers

  private peer (id: string): PeerView {
    let view = this.peers.get(id)
    if (view === undefined) { view = {}; this.peers.set(id, view); this.peerList = undefined }
    return view
  }

  /** The peers' ids, kept between changes: every push flush and round asks for them. Must not be modified. */
  private peerIds (): readonly string[] {
    this.peerList ??= [...this.peers.keys()]
    return this.peerList
  }

  /** ±10 % so that rounds across the mesh do not fall into lockstep. */
  private jitter (ms: number): number {
    return ms * (0.9 + 0.2 * this.c.random.float())
  }
}

/** Events in consecutive parts of at most `maxEvents` each, a part ending once it holds `maxBytes`. */
function splitEvents (events: readonly Event[], maxEvents: number, maxBytes: number): Event[][] {
  const parts: Event[][] = []
  let part: Event[] = []
  let bytes = 0
  for (const e of events) {
    part.push(e)
    bytes += e.bytes.length
    if (part.length >= maxEvents || bytes >= maxBytes) {
      parts.push(part)
      part = []
      bytes = 0
    }
  }
  if (part.length > 0) parts.push(part)
  return parts
}

/** A copy of `entries` with `author`'s entry replaced: one new tuple, the others shared. */
function withEntry (entries: VersionVectorEntries, author: string, seq: number): VersionVectorEntries {
  const out = entries.slice()
  const i = out.findIndex(([a]) => a === author)
  if (i >= 0) out[i] = [author, seq]
  return out
}

function stripUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

