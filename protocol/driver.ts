// What every driver of the core does around it, written once: the libp2p daemon
// (daemon/runtime.ts) and the simulator (sim/node.ts) both hold their replica
// through a ReplicaHost.
//
//   driver inputs ──► ReplicaHost ──► Replica (write, receive, peerUp, peerDown, markDurable)
//                        │  └ after every input: tick(), and ONE timer re-armed for the deadline it returns
//                        └ persist ──► GroupCommit (group-commit.ts) ──► ReplicaStore ──► durable(n) ──► markDurable
//
// The core asks for tick() after every input (replica-api.ts); forgetting one
// leaves a push waiting for the next timer, and the two drivers used to place
// those calls by hand (and had drifted: the daemon's peerDown did not tick).
// A ReplicaHost is itself a ReplicaApi, so what writes through it (the API,
// the join server, address gossip) cannot forget either. Reads go straight to
// the replica.
//
// Two ways to tick after an input: 'now' runs tick() inside the input (the
// simulator: one event of the queue, its whole effect); 'soon' arms the timer
// for now (the daemon: a burst of received messages costs one tick, and no
// tick runs inside a callback of the core, such as a peer dropped while
// sending). While paused or stopped the inputs reach the replica untouched.

import type { Event, NewEventBody } from './event.js'
import { GroupCommit, type ReplicaStore } from './group-commit.js'
import type { Stamp } from './hlc.js'
import type { Membership } from './membership.js'
import { RuleSet } from './rules.js'
import type { SyncMessage, VersionVectorEntries } from './messages.js'
import type { Cancel, Timers } from './ports.js'
import type { PersistBatch, ReplicaApi, ReplicaStats } from './replica-api.js'

export type { ReplicaStore } from './group-commit.js'

export interface ReplicaHostInit {
  /** When the tick after an input runs: inside it ('now'), or at the timers' next turn ('soon'). Default 'now'. */
  tickAfterInput?: 'now' | 'soon'
  /** The longest the timer sleeps whatever tick() returns, so a clock surprise never leaves the core asleep long. Default: no cap. */
  tickDelayMsMax?: number
  /** Events per store commit at most (group-commit.ts). Default: no bound. */
  maxEventsPerCommit?: number
}

export interface ReplicaHostComponents<R extends ReplicaApi> {
  /** Builds the replica, with the host's group commit as its persist port. */
  replica: (persist: (batch: PersistBatch) => void) => R
  timers: Timers
  store: ReplicaStore
  /**
   * The store made batch n (and all before it) durable. Default: markDurable(n). A driver that
   * passes its own calls markDurable itself (the daemon, then waking its waiters; the simulator,
   * once its paused process runs again).
   */
  durable?: (n: number) => void
  /** The store failed: nothing after the last durable batch will be. Default: nothing. */
  failed?: (err: Error) => void
  /** tick() threw (a bug of the core): told, and the next tick is tickDelayMsMax away. Absent: the error propagates (the simulator stops, with its seed). */
  tickFailed?: (err: unknown) => void
}

/** A replica that can take a large message a step at a time (Replica has it). */
interface SteppedReceive { receiveSteps: (from: string, message: SyncMessage) => Generator<void, void, void> }

export class ReplicaHost<R extends ReplicaApi = ReplicaApi> implements ReplicaApi {
  /** The replica itself, for what is not part of the contract (the daemon's membership gate, counters). */
  readonly replica: R
  private readonly c: ReplicaHostComponents<R>
  private readonly commits: GroupCommit
  private readonly soon: boolean
  private readonly tickDelayMsMax: number
  private running = false
  private cancel: Cancel | undefined
  private dueAt = Infinity

  constructor (init: ReplicaHostInit, components: ReplicaHostComponents<R>) {
    this.c = components
    this.soon = init.tickAfterInput === 'soon'
    this.tickDelayMsMax = init.tickDelayMsMax ?? Infinity
    this.commits = new GroupCommit({ maxEventsPerCommit: init.maxEventsPerCommit }, {
      store: components.store,
      durable: n => { (this.c.durable ?? (m => { this.markDurable(m) }))(n) },
      failed: err => { this.c.failed?.(err) }
    })
    this.replica = components.replica(batch => { this.commits.persist(batch) })
  }

  get id (): string { return this.replica.id }

  /** Events handed to the store and not yet durable (for receive-side backpressure). */
  get backlog (): number { return this.commits.backlog }

  /** Ticks from now on: once at once, then at the deadlines tick() returns and after every input. */
  start (): void {
    this.running = true
    this.kick()
  }

  /** No ticks until start(): inputs reach the replica untouched; a timer due meanwhile does nothing. */
  pause (): void {
    this.running = false
  }

  /** pause(), and the timer is cancelled. */
  stop (): void {
    this.running = false
    this.cancel?.()
    this.cancel = undefined
    this.dueAt = Infinity
  }

  /** A refused write (it throws) changed nothing: no tick follows it. */
  write (body: NewEventBody): Event {
    return this.writeInBatch(body).event
  }

  /**
   * write(), and the persist batch that holds the event: the write is acknowledged once that batch is
   * durable. (After write() with tickAfterInput 'now', lastBatchNumber() may already count a batch the
   * tick persisted.)
   */
  writeInBatch (body: NewEventBody): { event: Event, batch: number } {
    const event = this.replica.write(body)
    const batch = this.replica.lastBatchNumber()
    this.afterInput()
    return { event, batch }
  }

  receive (from: string, message: SyncMessage): void {
    this.replica.receive(from, message)
    this.afterInput()
  }

  /**
   * receive() a step at a time, if the replica can (Replica.receiveSteps): each step is a complete
   * input, ticked after like any other, so a driver may give way between steps. Stopping early drops
   * the rest of the message.
   */
  * receiveSteps (from: string, message: SyncMessage): Generator<void, void, void> {
    const stepper = (this.replica as Partial<SteppedReceive>).receiveSteps
    if (stepper === undefined) {
      this.receive(from, message)
      return
    }
    for (const _ of stepper.call(this.replica, from, message)) {
      this.afterInput()
      yield
    }
    this.afterInput()
  }

  peerUp (peer: string): void {
    this.replica.peerUp(peer)
    this.afterInput()
  }

  peerDown (peer: string): void {
    this.replica.peerDown(peer)
    this.afterInput()
  }

  markDurable (n: number): void {
    this.replica.markDurable(n)
    this.afterInput()
  }

  /** Runs what is due now and re-arms the timer; returns the replica's next deadline. */
  tick (): number {
    const next = this.replica.tick()
    this.arm(next)
    return next
  }

  lastBatchNumber (): number { return this.replica.lastBatchNumber() }
  nextTickMs (): number { return this.replica.nextTickMs() }
  get (key: string): Event | undefined { return this.replica.get(key) }
  live (prefix?: string): Event[] { return this.replica.live(prefix) }
  page (prefix: string, after: string | undefined, limit: number): { events: Event[], more: boolean } { return this.replica.page(prefix, after, limit) }
  counts (): { keys: number, tombstones: number } { return this.replica.counts() }
  digest (): Uint8Array { return this.replica.digest() }
  versionVector (): VersionVectorEntries { return this.replica.versionVector() }
  highWater (): Stamp { return this.replica.highWater() }
  connectedPeers (): string[] { return this.replica.connectedPeers() }
  peerStatus (peer: string): ReturnType<ReplicaApi['peerStatus']> { return this.replica.peerStatus(peer) }
  stats (): ReplicaStats { return this.replica.stats() }
  members (): Membership | undefined { return this.replica.members?.() }
  rules (): { set: RuleSet, event?: Event } { return this.replica.rules?.() ?? { set: RuleSet.EMPTY } }

  private afterInput (): void {
    if (!this.running) return
    if (this.soon) this.armAt(this.c.timers.monoMs())
    else this.kick()
  }

  /** Runs tick() (its failure contained if the driver says how) and arms the timer for its deadline. */
  private kick (): void {
    if (!this.running) return
    let next: number
    if (this.c.tickFailed === undefined) {
      next = this.replica.tick()
    } else {
      try {
        next = this.replica.tick()
      } catch (err) {
        this.c.tickFailed(err)
        next = this.c.timers.monoMs() + this.tickDelayMsMax
      }
    }
    this.arm(next)
  }

  /** The timer for the deadline `next`: never sooner than 1 ms from now (a deadline already past would loop), never beyond the cap. */
  private arm (next: number): void {
    const now = this.c.timers.monoMs()
    this.armAt(Math.min(Math.max(Number.isNaN(next) ? Infinity : next, now + 1), now + this.tickDelayMsMax))
  }

  /** One timer: kept if it is due sooner than `at`, else moved to `at`. */
  private armAt (at: number): void {
    if (!this.running || at >= this.dueAt) return
    this.cancel?.()
    this.dueAt = at
    this.cancel = this.c.timers.at(at, () => {
      this.cancel = undefined
      this.dueAt = Infinity
      this.kick()
    })
  }
}
