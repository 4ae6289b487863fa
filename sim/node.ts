// One virtual node: a Replica plus everything around it that the daemon would
// be — a clock (skewable), a disk (fsync delay, crash loses what is not yet
// durable), a tick timer on the event queue, and a process state:
//
//   up      runs: receives, ticks, takes writes
//   paused  a stopped process (GC pause, SIGSTOP): its sockets buffer what
//           arrives, its timers do not fire; on resume it all runs at once
//   down    crashed: the replica object is gone; restart() rebuilds it from
//           the durable image, as the daemon does from LevelDB
//   left    departed the federation for good
//
// The disk does group commit: one fsync in flight at a time covers every batch
// written before it started, so a busy node costs one queue entry per fsync,
// not one per batch.

import type { Event, NewEventBody } from '../protocol/event.js'
import type { SyncMessage } from '../protocol/messages.js'
import type { Random, Signer, Verifier } from '../protocol/ports.js'
import type { ReplicaApi, ReplicaComponents, ReplicaInit, ReplicaSnapshot } from '../protocol/replica-api.js'
import { NodeClock } from './clock.js'
import { VirtualDisk, type DiskNames } from './disk.js'
import { ImagelessDisk, type NodeDisk } from './imageless-disk.js'
import type { EventQueue } from './event-queue.js'
import type { WriteRecord } from './history.js'
import { PAUSED_INBOX_MAX } from './limits.js'

export type ReplicaFactory = (init: ReplicaInit, components: ReplicaComponents, snapshot?: ReplicaSnapshot) => ReplicaApi

export type NodeStatus = 'up' | 'paused' | 'down' | 'left'

export interface NodeHooks {
  queue: EventQueue
  createReplica: ReplicaFactory
  replicaInit: Omit<ReplicaInit, 'id'>
  /** A fresh deterministic random source for one incarnation of a node. */
  randomFor: (node: SimNode) => Random
  send: (from: SimNode, to: string, message: SyncMessage) => void
  fsyncDelayMs: () => number
  /** Keep a durable image to restart from (false only in runs that never crash a node: imageless-disk.ts). */
  durableImages: boolean
  members?: () => string[]
  /** Other members in the federation (so the core knows when pushes must be relayed). */
  peerCount?: () => number
  applied: (node: SimNode, event: Event, previous: Event | undefined, local: boolean) => void
  held: (node: SimNode, event: Event) => void
  acked: (node: SimNode, record: WriteRecord) => void
  lost: (node: SimNode, record: WriteRecord) => void
  /** The run's shared key and author numbering for the virtual disks (default: each disk its own). */
  diskNames?: DiskNames
  /** This node's signer and the run's verifier (a federation: sim/federation/crypto.ts). Default: trust every author. */
  signerFor?: (id: string) => Signer
  verifier?: Verifier
  /** What a node of the initial membership starts from (its disk holds it too, for restarts). */
  initialImage?: (node: SimNode) => ReplicaSnapshot | undefined
  /** What a node really sends instead of `message` (a Byzantine member's lies); undefined drops it. */
  outgoing?: (from: SimNode, to: string, message: SyncMessage) => SyncMessage | undefined
}

/** An open mesh trusts every author: real signatures cost ~50 µs each and prove nothing about replication. */
const FAKE_SIG = new Uint8Array(64)
const trustingSigner: Signer = { sign: () => FAKE_SIG }
const trustingVerifier: Verifier = { verify: () => true }

interface PendingWrite {
  record: WriteRecord
  batch: number
}

export class SimNode {
  readonly index: number
  readonly id: string
  status: NodeStatus = 'up'
  incarnation = 0
  replica: ReplicaApi | undefined
  readonly disk: NodeDisk
  readonly clock: NodeClock
  /** Nodes this one keeps a connection to whenever both are alive and the network lets them. */
  neighbours: number[] = []
  /** Neighbours the replica has been told are up. */
  readonly connected = new Set<number>()
  crashes = 0
  private readonly hooks: NodeHooks
  private inbox: Array<{ from: string, message: SyncMessage }> = []
  private pendingWrites: PendingWrite[] = []
  private written = 0
  private fsyncInFlight = false
  private durableNotTold = 0
  private tickAt = Infinity
  private tickToken = 0

  constructor (index: number, hooks: NodeHooks) {
    this.index = index
    this.id = `n${index}`
    this.hooks = hooks
    this.clock = new NodeClock(() => hooks.queue.now())
    this.disk = hooks.durableImages ? new VirtualDisk(hooks.diskNames) : new ImagelessDisk()
    this.image = hooks.initialImage?.(this)
    if (this.image !== undefined) this.disk.seed(this.image)
    this.signer = hooks.signerFor?.(this.id) ?? trustingSigner
  }

  /** What this node started from (the initial membership), if anything. */
  private readonly image: ReplicaSnapshot | undefined
  readonly signer: Signer

  /** Builds the replica from the durable image (empty on first start). */
  start (): void {
    const incarnation = ++this.incarnation
    const h = this.hooks
    const components: ReplicaComponents = {
      clock: this.clock,
      random: h.randomFor(this),
      signer: this.signer,
      verifier: h.verifier ?? trustingVerifier,
      send: (to, message) => {
        if (this.incarnation !== incarnation) return
        const out = h.outgoing === undefined ? message : h.outgoing(this, to, message)
        if (out !== undefined) h.send(this, to, out)
      },
      persist: batch => {
        if (this.incarnation !== incarnation) return
        this.disk.write(batch)
        this.written = batch.n
        if (!this.fsyncInFlight) this.startFsync(incarnation)
      },
      members: h.members,
      peerCount: h.peerCount,
      observer: {
        applied: (event, previous, local) => h.applied(this, event, previous, local),
        held: event => h.held(this, event)
      }
    }
    const snapshot = this.incarnation === 1 ? this.image : this.disk.snapshot()
    this.replica = h.createReplica({ keepPeerVersionVectors: false, ...h.replicaInit, id: this.id }, components, snapshot)
    this.status = 'up'
    this.kick()
  }

  crash (): void {
    if (this.status === 'down' || this.status === 'left') return
    this.crashes++
    const durable = this.disk.durableThrough()
    this.disk.crash()
    for (const p of this.pendingWrites) {
      // Durable but not yet acknowledged (the ack died with the process): it exists, it just was never promised.
      if (p.batch > durable) this.hooks.lost(this, p.record)
    }
    this.pendingWrites = []
    this.halt('down')
  }

  restart (): void {
    if (this.status !== 'down') return
    this.start()
  }

  leave (): void {
    if (this.status === 'left') return
    this.halt('left')
  }

  pause (): void {
    if (this.status === 'up') this.status = 'paused'
  }

  resume (): void {
    if (this.status !== 'paused') return
    this.status = 'up'
    const inbox = this.inbox
    this.inbox = []
    for (const { from, message } of inbox) this.replica?.receive(from, message)
    if (this.durableNotTold > 0) this.tellDurable(this.durableNotTold)
    this.kick()
  }

  /** A local write from a client of this node. Only for a node that is up. */
  write (body: NewEventBody): { event: Event, batch: number } {
    const r = this.replica
    if (r === undefined || this.status !== 'up') throw new Error(`assertion failed: write to ${this.id} while ${this.status}`)
    const event = r.write(body)
    const batch = r.lastBatchNumber()
    this.kick()
    return { event, batch }
  }

  /** Records a write awaiting durability (after the history has a record of it). */
  awaitAck (record: WriteRecord, batch: number): void {
    this.pendingWrites.push({ record, batch })
    // The fsync may already have covered it (same tick); acks flow on the next markDurable otherwise.
    if (batch <= this.disk.durableThrough() && this.durableNotTold === 0) this.ackThrough(batch)
  }

  deliver (from: string, message: SyncMessage): void {
    if (this.status === 'paused') {
      if (this.inbox.length < PAUSED_INBOX_MAX) this.inbox.push({ from, message })
      return
    }
    if (this.status !== 'up' || this.replica === undefined) return
    this.replica.receive(from, message)
    this.kick()
  }

  peerUp (peer: SimNode): void {
    if (this.connected.has(peer.index)) return
    this.connected.add(peer.index)
    this.replica?.peerUp(peer.id)
    this.kick()
  }

  peerDown (peer: SimNode): void {
    if (!this.connected.delete(peer.index)) return
    this.replica?.peerDown(peer.id)
    this.kick()
  }

  /** Alive as far as peers can tell: a paused process still holds its connections. */
  alive (): boolean {
    return this.status === 'up' || this.status === 'paused'
  }

  pendingWriteCount (): number {
    return this.pendingWrites.length
  }

  private halt (status: NodeStatus): void {
    this.status = status
    this.replica = undefined
    this.incarnation++
    this.inbox = []
    this.fsyncInFlight = false
    this.durableNotTold = 0
    this.connected.clear()
    this.tickAt = Infinity
    this.tickToken++
  }

  private startFsync (incarnation: number): void {
    this.fsyncInFlight = true
    const through = this.written
    this.hooks.queue.after(this.hooks.fsyncDelayMs(), () => {
      if (this.incarnation !== incarnation) return
      this.fsyncInFlight = false
      this.disk.flushThrough(through)
      if (this.status === 'paused') this.durableNotTold = through
      else this.tellDurable(through)
      if (this.written > through) this.startFsync(incarnation)
    })
  }

  private tellDurable (n: number): void {
    this.durableNotTold = 0
    this.replica?.markDurable(n)
    this.ackThrough(n)
    this.kick()
  }

  private ackThrough (n: number): void {
    let i = 0
    while (i < this.pendingWrites.length && (this.pendingWrites[i] as PendingWrite).batch <= n) {
      this.hooks.acked(this, (this.pendingWrites[i] as PendingWrite).record)
      i++
    }
    if (i > 0) this.pendingWrites = this.pendingWrites.slice(i)
  }

  /** Runs what is due and re-arms the tick timer; called after every input, as the core asks. */
  private kick (): void {
    if (this.status !== 'up' || this.replica === undefined) return
    const next = this.replica.tick()
    this.scheduleTick(next)
  }

  private scheduleTick (next: number): void {
    const q = this.hooks.queue
    const at = Math.max(next, q.now() + 1)
    if (at >= this.tickAt) return
    this.tickAt = at
    const token = ++this.tickToken
    q.at(at, () => {
      if (token !== this.tickToken) return
      this.tickAt = Infinity
      this.kick()
    })
  }
}
