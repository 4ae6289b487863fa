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
// The replica is held through a ReplicaHost (protocol/driver.ts), as the
// daemon holds its own: it ticks after every input and keeps one tick timer on
// the event queue, and does group commit — one fsync in flight at a time covers
// every batch written before it started, so a busy node costs one queue entry
// per fsync, not one per batch.

import { ReplicaHost, type ReplicaStore } from '../protocol/driver.js'
import type { Event, NewEventBody } from '../protocol/event.js'
import type { SyncMessage } from '../protocol/messages.js'
import type { Random, Signer, Verifier } from '../protocol/ports.js'
import type { PersistBatch, ReplicaApi, ReplicaComponents, ReplicaInit, ReplicaSnapshot } from '../protocol/replica-api.js'
import { NodeClock } from './clock.js'
import { VirtualDisk, type DiskNames } from './disk.js'
import { ImagelessDisk, type NodeDisk } from './imageless-disk.js'
import type { EventQueue } from './event-queue.js'
import type { WriteRecord } from './history.js'
import { PAUSED_INBOX_MAX } from './limits.js'
import { queueTimers } from './timers.js'

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
  /** Every batch the replica hands to its disk, as it does (optional: runs with rules judge the offset bound by it). */
  stored?: (node: SimNode, batch: PersistBatch) => void
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

/** A write awaiting durability: a client's (acked or lost in the history), or the run's own (a revocation: told when durable). */
interface PendingWrite {
  batch: number
  durable: () => void
  /** Called if the process dies before the batch is durable. */
  lost?: () => void
}

export class SimNode {
  readonly index: number
  readonly id: string
  status: NodeStatus = 'up'
  incarnation = 0
  /** The replica of this incarnation (reads; inputs go through its host). */
  replica: ReplicaApi | undefined
  readonly disk: NodeDisk
  readonly clock: NodeClock
  /** Nodes this one keeps a connection to whenever both are alive and the network lets them. */
  neighbours: number[] = []
  /** Neighbours the replica has been told are up. */
  readonly connected = new Set<number>()
  crashes = 0
  private readonly hooks: NodeHooks
  private host: ReplicaHost | undefined
  private inbox: Array<{ from: string, message: SyncMessage }> = []
  private pendingWrites: PendingWrite[] = []
  private durableNotTold = 0
  /**
   * The last batch of this incarnation made durable. Not the disk's own
   * number: a restarted replica numbers its batches from 1 again, and until
   * its first fsync the disk still reports the last life's, which would ack a
   * fresh write before it was durable (a lost "acknowledged" write that never was).
   */
  private durableThisLife = 0

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
    this.durableThisLife = 0
    const h = this.hooks
    const components = (persist: (batch: PersistBatch) => void): ReplicaComponents => ({
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
        h.stored?.(this, batch)
        persist(batch)
      },
      members: h.members,
      peerCount: h.peerCount,
      observer: {
        applied: (event, previous, local) => h.applied(this, event, previous, local),
        held: event => h.held(this, event)
      }
    })
    const snapshot = this.incarnation === 1 ? this.image : this.disk.snapshot()
    const host = new ReplicaHost({}, {
      replica: persist => h.createReplica({ keepPeerVersionVectors: false, ...h.replicaInit, id: this.id }, components(persist), snapshot),
      timers: queueTimers(h.queue),
      store: this.diskStore(incarnation),
      durable: n => {
        if (this.status === 'paused') this.durableNotTold = n
        else this.tellDurable(n)
      }
    })
    this.host = host
    this.replica = host.replica
    this.status = 'up'
    host.start()
  }

  /** The virtual disk as the host's store: a batch is queued on it as it is persisted, and durable one fsync later. */
  private diskStore (incarnation: number): ReplicaStore {
    return {
      stage: batch => { this.disk.write(batch) },
      commit: (batches, done) => {
        const through = (batches[batches.length - 1] as PersistBatch).n
        this.hooks.queue.after(this.hooks.fsyncDelayMs(), () => {
          if (this.incarnation !== incarnation) return // the process died meanwhile: so did its fsync
          this.disk.flushThrough(through)
          this.durableThisLife = Math.max(this.durableThisLife, through)
          done()
        })
      }
    }
  }

  crash (): void {
    if (this.status === 'down' || this.status === 'left') return
    this.crashes++
    const durable = this.durableThisLife
    this.disk.crash()
    for (const p of this.pendingWrites) {
      // Durable but not yet acknowledged (the ack died with the process): it exists, it just was never promised.
      if (p.batch > durable) p.lost?.()
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
    if (this.status !== 'up') return
    this.status = 'paused'
    this.host?.pause()
  }

  /** What arrived meanwhile is received, and a durable batch told, before the one tick of the resumed process. */
  resume (): void {
    if (this.status !== 'paused') return
    this.status = 'up'
    const inbox = this.inbox
    this.inbox = []
    for (const { from, message } of inbox) this.host?.receive(from, message)
    if (this.durableNotTold > 0) this.tellDurable(this.durableNotTold)
    this.host?.start()
  }

  /** A local write from a client of this node. Only for a node that is up. */
  write (body: NewEventBody): { event: Event, batch: number } {
    const r = this.host
    if (r === undefined || this.status !== 'up') throw new Error(`assertion failed: write to ${this.id} while ${this.status}`)
    return r.writeInBatch(body)
  }

  /** Records a write awaiting durability (after the history has a record of it). */
  awaitAck (record: WriteRecord, batch: number): void {
    this.awaitDurable({ batch, durable: () => { this.hooks.acked(this, record) }, lost: () => { this.hooks.lost(this, record) } })
  }

  /**
   * Calls `fn` once batch `batch` is durable in this incarnation; never if the
   * process dies first (then `lost`, if given). (Asking the disk later is no answer: a restarted
   * replica numbers its batches afresh, so a lost batch's number is soon covered.)
   */
  whenDurable (batch: number, fn: () => void, lost?: () => void): void {
    this.awaitDurable({ batch, durable: fn, lost })
  }

  private awaitDurable (p: PendingWrite): void {
    const batch = p.batch
    this.pendingWrites.push(p)
    // The fsync may already have covered it (same tick); acks flow on the next markDurable otherwise.
    if (batch <= this.durableThisLife && this.durableNotTold === 0) this.ackThrough(batch)
  }

  deliver (from: string, message: SyncMessage): void {
    if (this.status === 'paused') {
      if (this.inbox.length < PAUSED_INBOX_MAX) this.inbox.push({ from, message })
      return
    }
    if (this.status !== 'up') return
    this.host?.receive(from, message)
  }

  peerUp (peer: SimNode): void {
    if (this.connected.has(peer.index)) return
    this.connected.add(peer.index)
    this.host?.peerUp(peer.id)
  }

  peerDown (peer: SimNode): void {
    if (!this.connected.delete(peer.index)) return
    this.host?.peerDown(peer.id)
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
    this.host?.stop()
    this.host = undefined
    this.replica = undefined
    this.incarnation++
    this.inbox = []
    this.durableNotTold = 0
    this.connected.clear()
  }

  private tellDurable (n: number): void {
    this.durableNotTold = 0
    this.ackThrough(n) // before the tick that markDurable runs, as ever (markDurable itself tells nobody anything)
    this.host?.markDurable(n)
  }

  private ackThrough (n: number): void {
    let i = 0
    for (; i < this.pendingWrites.length; i++) {
      const p = this.pendingWrites[i] as PendingWrite
      if (p.batch > n) break
      p.durable()
    }
    if (i > 0) this.pendingWrites = this.pendingWrites.slice(i)
  }
}
