// The simulated network. A message handed to send() is either dropped (a
// partition, a one-way cut, a flapping link that is down, random loss) or
// scheduled for delivery on the event queue after a latency drawn for its
// link. Links are FIFO like the TCP streams the daemon uses, unless the
// reorder knob lets a message overtake; duplication schedules a second copy;
// capacity serialises a link's messages (bytes / capacity of transmit time).
// Whether the receiver is alive is the cluster's business at delivery time.
//
// Connectivity (peerUp/peerDown) is decided by partitions and flapping only: a
// one-way cut silently eats packets in one direction while both ends still
// believe they are connected — the nastiest kind of failure.
//
// A message larger than the core's frame cap (MAX_MESSAGE_BYTES) is dropped at
// the sender, as the daemon's mesh drops it: the transport contract
// (test/compliance/transport.ts) holds here as it does on libp2p.

import { MAX_MESSAGE_BYTES } from '../protocol/limits.js'
import type { SyncMessage } from '../protocol/messages.js'
import type { EventQueue } from './event-queue.js'
import type { Prng } from './prng.js'
import { partitionAllows, type Partition } from './partitions.js'

export type LatencyDistribution = 'constant' | 'uniform' | 'exponential'

export interface NetworkKnobs {
  /** Mean one-way latency of a link. */
  latencyMs: number
  /** constant: every message takes its link's latency; uniform: ± jitter; exponential: a long tail of mean jitter·latency. */
  latencyDist: LatencyDistribution
  /** Spread of per-message latency as a fraction of the link's latency. */
  jitter: number
  /** Links differ: each link's latency is latencyMs × U(1 - spread, 1 + spread), drawn once. */
  linkSpread: number
  /** Probability a message is lost. */
  lossRate: number
  /** Probability a message is delivered twice. */
  duplicateRate: number
  /** Probability a message ignores link FIFO order (may overtake earlier ones). */
  reorderRate: number
  /** Bytes per second a link carries; 0 = unlimited. */
  capacityBytesPerSec: number
}

/** A calm network: uniform latency with the usual jitter and link spread, and no faults. */
export function calmNetwork (latencyMs: number): NetworkKnobs {
  return { latencyMs, latencyDist: 'uniform', jitter: 0.2, linkSpread: 0.25, lossRate: 0, duplicateRate: 0, reorderRate: 0, capacityBytesPerSec: 0 }
}

export interface NetworkComponents {
  queue: EventQueue
  random: Prng
  /** Called at delivery time; the cluster decides whether anyone is there to receive. */
  deliver: (from: number, to: number, message: SyncMessage) => void
}

export interface NetworkCounters {
  sent: number
  bytes: number
  delivered: number
  lost: number
  cut: number
  duplicated: number
  /** Dropped at the sender: over the frame cap. */
  oversize: number
}

interface Link {
  latencyMs: number
  busyUntil: number
  lastDeliveryAt: number
}

interface OneWayCut {
  from: Set<number>
  to: Set<number>
}

export class Network {
  knobs: NetworkKnobs
  readonly counters: NetworkCounters = { sent: 0, bytes: 0, delivered: 0, lost: 0, cut: 0, duplicated: 0, oversize: 0 }
  private readonly components: NetworkComponents
  private readonly links = new Map<number, Link>()
  private partition: Partition | undefined
  private cuts: OneWayCut[] = []
  private readonly downLinks = new Set<number>()

  constructor (knobs: NetworkKnobs, components: NetworkComponents) {
    this.knobs = knobs
    this.components = components
  }

  /** Sends `message` of `sizeBytes` from node `from` to node `to`. */
  send (from: number, to: number, message: SyncMessage, sizeBytes: number): void {
    const c = this.counters
    c.sent++
    c.bytes += sizeBytes
    if (sizeBytes > MAX_MESSAGE_BYTES) { c.oversize++; return }
    if (!this.allows(from, to)) { c.cut++; return }
    const random = this.components.random
    if (random.chance(this.knobs.lossRate)) { c.lost++; return }
    const link = this.link(from, to)
    const now = this.components.queue.now()
    let departAt = now
    if (this.knobs.capacityBytesPerSec > 0) {
      // The last byte leaves once the link has sent everything queued before it, and this message.
      link.busyUntil = Math.max(now, link.busyUntil) + sizeBytes * 1000 / this.knobs.capacityBytesPerSec
      departAt = link.busyUntil
    }
    let at = departAt + this.sampleLatency(link)
    if (!random.chance(this.knobs.reorderRate)) {
      at = Math.max(at, link.lastDeliveryAt)
      link.lastDeliveryAt = at
    }
    this.schedule(from, to, message, at)
    if (random.chance(this.knobs.duplicateRate)) {
      c.duplicated++
      this.schedule(from, to, message, departAt + this.sampleLatency(link))
    }
  }

  /** May a packet go from `from` to `to` right now? */
  allows (from: number, to: number): boolean {
    if (!this.connected(from, to)) return false
    for (const cut of this.cuts) if (cut.from.has(from) && cut.to.has(to)) return false
    return true
  }

  /** Would `a` and `b` see each other as connected (no partition between them, link not flapped down)? */
  connected (a: number, b: number): boolean {
    if (this.partition !== undefined && !partitionAllows(this.partition, a, b)) return false
    return !this.downLinks.has(pairKey(a, b))
  }

  setPartition (p: Partition | undefined): void {
    this.partition = p
  }

  currentPartition (): Partition | undefined {
    return this.partition
  }

  addOneWayCut (from: number[], to: number[]): void {
    this.cuts.push({ from: new Set(from), to: new Set(to) })
  }

  clearOneWayCuts (): void {
    this.cuts = []
  }

  setLinkDown (a: number, b: number, down: boolean): void {
    if (down) this.downLinks.add(pairKey(a, b))
    else this.downLinks.delete(pairKey(a, b))
  }

  clearLinkDowns (): void {
    this.downLinks.clear()
  }

  /** Heals every fault: partitions, cuts, flapped links. Loss and latency knobs stay as they are. */
  healAll (): void {
    this.partition = undefined
    this.cuts = []
    this.downLinks.clear()
  }

  private schedule (from: number, to: number, message: SyncMessage, at: number): void {
    this.components.queue.atCall(at, this.arrive, from * LINK_SHIFT + to, message)
  }

  /** A packet reaches the end of its link (one queue entry per packet, no closure each). */
  private readonly arrive = (link: number, message: SyncMessage): void => {
    const from = Math.floor(link / LINK_SHIFT)
    const to = link - from * LINK_SHIFT
    // A packet in flight when a partition starts is lost with the cable.
    if (!this.allows(from, to)) { this.counters.cut++; return }
    this.counters.delivered++
    this.components.deliver(from, to, message)
  }

  private sampleLatency (link: Link): number {
    const k = this.knobs
    const r = this.components.random
    switch (k.latencyDist) {
      case 'constant': return link.latencyMs
      case 'uniform': return Math.max(0, link.latencyMs * (1 + k.jitter * (2 * r.float() - 1)))
      case 'exponential': return link.latencyMs * (1 - k.jitter) + r.exponential(link.latencyMs * k.jitter)
    }
  }

  private link (from: number, to: number): Link {
    const key = from * LINK_SHIFT + to
    let link = this.links.get(key)
    if (link === undefined) {
      const spread = this.knobs.linkSpread
      // Both directions of a pair share one drawn latency (a cable is as long both ways).
      const reverse = this.links.get(to * LINK_SHIFT + from)
      const latencyMs = reverse?.latencyMs ?? this.knobs.latencyMs * (1 + spread * (2 * this.components.random.float() - 1))
      link = { latencyMs, busyUntil: 0, lastDeliveryAt: 0 }
      this.links.set(key, link)
    }
    return link
  }
}

/** Node indexes stay below this (MAX_NODES plus joins), so (from, to) packs into one number. */
const LINK_SHIFT = 0x100000

function pairKey (a: number, b: number): number {
  return a < b ? a * LINK_SHIFT + b : b * LINK_SHIFT + a
}
