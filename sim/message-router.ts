// How a message gets from one node to another: over the simulated network
// (network.ts, built here so its deliveries come back through deliver()),
// only on a session both ends' gates allow, counted by type (the cost
// breakdown) and sized as the daemon's frames would be. The signed ack rows
// a message carries are shown to the ack ledger at both ends (ack-ledger.ts).

import type { SyncMessage } from '../protocol/messages.js'
import type { AckLedger } from './ack-ledger.js'
import type { EventQueue } from './event-queue.js'
import { messageSize, SharedArraySizes } from './message-size.js'
import { Network, type NetworkKnobs } from './network.js'
import type { SimNode } from './node.js'
import type { Prng } from './prng.js'

export interface MessageRouterComponents {
  queue: EventQueue
  /** The network's random source. */
  random: Prng
  /** The cluster's nodes, by index and by id. */
  nodes: readonly SimNode[]
  byId: ReadonlyMap<string, SimNode>
  /** Both ends' gates allow a session between a and b (topology.ts). */
  gateAllows: (a: number, b: number) => boolean
  /** Present in federations with rules only. */
  acks: AckLedger | undefined
}

export class MessageRouter {
  readonly network: Network
  /** Messages sent, by type (the cost breakdown). */
  readonly messagesByType: Record<string, number> = {}
  /** Message sizes of resent vv entries and of pushes sharing one events array, per sender. */
  private readonly vvSizes = new SharedArraySizes()
  private readonly pushSizes = new SharedArraySizes()

  constructor (knobs: NetworkKnobs, private readonly c: MessageRouterComponents) {
    this.network = new Network(knobs, { queue: c.queue, random: c.random, deliver: (from, to, message) => this.deliver(from, to, message) })
  }

  send (from: SimNode, to: string, message: SyncMessage): void {
    const target = this.c.byId.get(to)
    if (target === undefined || !this.c.gateAllows(from.index, target.index)) return
    if (this.c.acks !== undefined && message.type === 'acks') this.c.acks.heard(from.index, from.incarnation, message.acks)
    this.messagesByType[message.type] = (this.messagesByType[message.type] ?? 0) + 1
    this.network.send(from.index, target.index, message, this.sizeOf(from.index, message))
  }

  /** Hands the network's delivery to its target, from the sender's own id string (its hash already computed), not a new one per message. */
  private deliver (from: number, to: number, message: SyncMessage): void {
    const sender = this.c.nodes[from]
    // A session the gate closed while the message was on its way carries nothing more.
    if (sender === undefined || !this.c.gateAllows(from, to)) return
    const target = this.c.nodes[to]
    if (this.c.acks !== undefined && message.type === 'acks' && target?.status === 'up') this.c.acks.heard(to, target.incarnation, message.acks)
    target?.deliver(sender.id, message)
  }

  private sizeOf (from: number, message: SyncMessage): number {
    if (message.type === 'push') return this.pushSizes.sizeOf(from, message.events, message)
    if (message.type === 'vv') return this.vvSizes.sizeOf(from, message.vv, message)
    return messageSize(message)
  }
}
