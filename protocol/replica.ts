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
//   OwnSequence   (own-sequence.ts) our own seq, chain head and durable part.
//   StoredVersions  (stored-versions.ts) authorizes, installs and discards
//                 versions; re-judges keys; collects what is stable.
//   RemoteEvents  (remote-events.ts) pushed and pulled events: authenticate,
//                 judge, then hold (HeldEvents: stamped too far ahead) or apply.
//   AntiEntropyRounds  (anti-entropy-rounds.ts) both ends of a round.
//   AckExchange   (ack-exchange.ts) the signed ack rows we send and take.
//   PeerViews     (peer-views.ts) what we know of each connected peer.
//   PushSchedule  (push-schedule.ts) new events waiting to be pushed to a few
//                 peers; planPushes (push-plan.ts) picks the peers.
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

import { AckExchange } from './ack-exchange.js'
import { AntiEntropyRounds } from './anti-entropy-rounds.js'
import { AuthorLog } from './author-log.js'
import { signEvent } from './codec.js'
import { SealedEvent, type EventReader } from './compact-event.js'
import { MycelError } from './errors.js'
import { faultKey, isMembershipEvent, isRulesEvent, type Event, type EventBody, type NewEventBody, type UnsignedEvent } from './event.js'
import { RulesHistory } from './rules-history.js'
import { checkLocalWrite } from './local-write-rules.js'
import { FaultWatch } from './fault-watch.js'
import { faultNonce } from './fault-key.js'
import { HeldEvents } from './held-events.js'
import { Membership } from './membership.js'
import { DEFAULT_MAX_CLOCK_OFFSET_MS, HybridClock } from './hlc.js'
import * as L from './limits.js'
import type { EventsMessage, SyncMessage, VersionVectorEntries } from './messages.js'
import { OwnSequence } from './own-sequence.js'
import { PeerViews } from './peer-views.js'
import { PushSchedule } from './push-schedule.js'
import { RemoteEvents } from './remote-events.js'
import { CatchUpQueue } from './catch-up.js'
import { ChangeSet } from './change-set.js'
import type { ReplicaApi, ReplicaComponents, ReplicaInit, ReplicaSnapshot, ReplicaStats } from './replica-api.js'
import { LwwState } from './state.js'
import type { RuleSet } from './rules.js'
import { StableCollection } from './stable-collection.js'
import { StoredVersions } from './stored-versions.js'
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

interface Pending {
  n: number
  vv: VersionVectorEntries
  own: Event[]
  highWater: bigint
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
  private readonly pushes: PushSchedule
  private readonly peers = new PeerViews()
  private readonly pending: Pending[] = []
  private readonly own: OwnSequence
  private readonly versions: StoredVersions
  private readonly remote: RemoteEvents
  private readonly antiEntropy: AntiEntropyRounds
  private readonly acks: AckExchange
  private readonly faults = new FaultWatch()
  private batchN = 0
  private readonly changes = new ChangeSet()
  private nextAntiEntropyMs: number
  private rounds = 0
  private readonly catchUp: CatchUpQueue
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
    this.pushes = new PushSchedule(this.cfg)
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
    this.own = new OwnSequence(ownMax, restored.find(e => e.author === this.id && e.seq === ownMax)?.id, snapshot?.highWater ?? 0n)
    const { id, state, log, vv, held, faults, stability, changes, own, membership, counters } = this
    this.versions = new StoredVersions({ state, log, changes, stability, membership, rulesHistory: this.rulesHistory, driver: components, counters })
    this.remote = new RemoteEvents({
      id, maxHoldAheadMs: this.cfg.maxHoldAheadMs, hlc: this.clock, state, log, vv, held, faults, stability, changes, own,
      versions: this.versions, pushes: this.pushes, driver: components, counters
    })
    this.antiEntropy = new AntiEntropyRounds({
      id, keepPeerVersionVectors: this.cfg.keepPeerVersionVectors, maxBatchBytes: this.cfg.maxBatchBytes,
      state, log, vv, held, changes, own, membership, peers: this.peers, send: (to, message) => { this.send(to, message) }
    })
    this.acks = new AckExchange({ id, maxBatchBytes: this.cfg.maxBatchBytes, stability, own, membership, faults, log, driver: components, counters })
    this.nextAntiEntropyMs = components.clock.monoMs() + this.jitter(this.cfg.antiEntropyIntervalMs)
  }

  // ------------------------------------------------------------ local writes

  write (input: NewEventBody): Event {
    const existing = checkLocalWrite(input, this.state.get(input.key), this.rulesHistory.current(), this.membership?.roleNow(this.id))
    if (existing !== undefined) return existing
    const body = this.withView(input)
    const unsigned: UnsignedEvent = { v: 1, author: this.id, seq: this.own.seq + 1, stamp: this.clock.tick(), body }
    if (this.own.head !== undefined) unsigned.prev = this.own.head
    const event = signEvent(unsigned, this.c.signer)
    const verdict = this.versions.authorize(event)
    if (!verdict.ok) throw new MycelError('PERMISSION_DENIED', verdict.reason)
    this.own.wrote(event)
    this.vv.add(this.id, event.seq, this.changes.vv)
    try {
      const r = this.state.apply(event)
      if (!r.won) throw new Error('assertion failed: a local write lost to an older stamp')
      this.versions.install(event, r.dropped)
      this.changes.wrote(event)
      this.counters.applied++
      this.c.observer?.applied?.(event, r.other, true)
      this.versions.afterMembershipEvent(event)
      this.versions.afterRulesEvent(event)
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
      this.own.durableThrough(p.highWater)
      for (const e of p.own) {
        this.own.durable(e.seq)
        this.pushes.add({ event: e, ttl: -1 }, now)
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
        this.step(() => { this.remote.takePush(from, parts[i] as Event[], message.ttl, this.c.clock.monoMs()) })
      }
      return
    }
    if (message.type !== 'events') return
    const taking = this.remote.beginEvents()
    for (const part of parts) {
      this.step(() => { this.remote.ingestEvents(from, taking, part) })
      yield
    }
    if (!this.peers.has(from)) return // the peer went down meanwhile: nothing to pull from it
    this.step(() => { this.antiEntropy.finishEvents(from, message, taking, this.c.clock.monoMs()) })
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
        this.antiEntropy.answerDigest(from, m.digest, now)
        return
      case 'vv':
        this.antiEntropy.answerVv(from, m, now)
        return
      case 'events':
        this.takeEvents(from, m, now)
        return
      case 'push':
        this.remote.takePush(from, m.events, m.ttl, now)
        return
      case 'acks':
        this.acks.take(from, m.acks)
        if (m.reply) this.send(from, { type: 'acks', acks: this.acks.rows(true), reply: false })
        return
      case 'fps':
        this.antiEntropy.answerFps(from, m)
        return
      case 'ids':
        this.antiEntropy.answerIds(from, m)
        return
      case 'want':
        this.antiEntropy.answerWant(from, m)
    }
  }

  /** Part of a peer's response: ingest, advance coverage over what it vouched for, and pull the rest while it brings news. */
  private takeEvents (from: string, m: EventsMessage, now: number): void {
    const taking = this.remote.beginEvents()
    this.remote.ingestEvents(from, taking, m.events)
    this.antiEntropy.finishEvents(from, m, taking, now)
  }

  // ------------------------------------------------------------ peers and time

  peerUp (peer: string): void {
    if (peer === this.id) return
    this.peers.of(peer)
    // A (re)connected peer catches up without waiting a period; when many come up at once, one at a time.
    if (this.catchUp.up(peer, this.c.clock.monoMs())) this.antiEntropy.start(peer)
  }

  peerDown (peer: string): void {
    this.peers.delete(peer)
    this.antiEntropy.peerDown(peer)
    this.catchUp.down(peer)
  }

  tick (): number {
    const now = this.c.clock.monoMs()
    try {
      const heldCheckMs = this.remote.nextHeldCheckMs
      if (heldCheckMs !== undefined && now >= heldCheckMs) this.remote.releaseHeld(now)
      const pushMs = this.pushes.nextFlushMs
      if (pushMs !== undefined && now >= pushMs) this.flushPushes()
      const caughtUp = this.catchUp.due(now)
      if (caughtUp !== undefined) this.antiEntropy.start(caughtUp)
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
    const pushMs = this.pushes.nextFlushMs
    if (pushMs !== undefined) next = Math.min(next, pushMs)
    const heldCheckMs = this.remote.nextHeldCheckMs
    if (heldCheckMs !== undefined) next = Math.min(next, heldCheckMs)
    return next
  }

  private antiEntropyRound (): void {
    const connected = this.peers.ids()
    if (connected.length === 0) return
    const peer = connected[this.c.random.int(connected.length)]
    this.rounds++
    this.counters.antiEntropyRounds++
    this.antiEntropy.start(peer)
    if (!this.stability.enabled || this.rounds % this.cfg.ackEveryRounds !== 0) return
    const members = this.c.members?.() ?? this.membership?.members() ?? []
    if (this.stability.pending) {
      this.send(peer, { type: 'acks', acks: this.acks.rows(true), reply: true })
      this.versions.collectStable(members, this.vv)
    } else if (this.membership !== undefined) {
      // Nothing to collect, but our signed row still goes out: it pins our clock, so nothing we
      // write later can be stamped below it without proving us a backdater (acks.ts).
      this.send(peer, { type: 'acks', acks: this.acks.rows(false), reply: false })
    }
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

  // ------------------------------------------------------------ push

  private flushPushes (): void {
    const others = this.c.peerCount?.() ?? (this.c.members?.().length ?? this.membership?.members().length ?? 0) - 1
    for (const { to, message } of this.pushes.flush(this.peers.ids(), others, n => this.c.random.int(n))) this.send(to, message)
  }

  // ------------------------------------------------------------ output

  private send (to: string, message: SyncMessage): void {
    this.counters.messagesOut++
    this.c.send(to, message)
  }

  private flush (): void {
    if (this.changes.isEmpty()) return
    const { batch, own } = this.changes.take(++this.batchN, this.clock.highWater(), a => this.vv.entry(a), key => this.state.get(key))
    this.pending.push({ n: batch.n, vv: batch.vv, own, highWater: batch.highWater })
    this.c.persist(batch)
  }

  // ------------------------------------------------------------ reads

  get (key: string): Event | undefined { return this.state.get(key) }
  /**
   * Lets go of the bytes of durable puts and deletes the state still holds, read back from `reader`
   * when asked (SealedEvent.cool). The daemon calls it once a commit is on disk.
   */
  coolDurable (events: readonly Event[], reader: EventReader): void {
    for (const e of events) if (e instanceof SealedEvent && this.state.holds(e)) e.cool(reader)
  }
  /** The rules this site enforces now (the newest rules event's), and that event. */
  rules (): { set: RuleSet, event?: Event } { return { set: this.rulesHistory.current(), event: this.rulesHistory.currentEvent() } }
  live (prefix?: string): Event[] { return this.state.live(prefix) }
  page (prefix: string, after: string | undefined, limit: number): { events: Event[], more: boolean } { return this.state.page(prefix, after, limit) }
  counts (): { keys: number, tombstones: number } { return this.state.counts() }
  digest (): Uint8Array { return this.state.digest() }
  versionVector (): VersionVectorEntries { return this.vv.entries() }
  highWater (): bigint { return this.clock.highWater() }
  connectedPeers (): string[] { return this.peers.copyOfIds() }

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

function stripUndefined<T extends object> (o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
