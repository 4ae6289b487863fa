// The cluster's Byzantine members: one Adversary (federation/byzantine.ts) per
// such node, wired to that node's replica and links, ticking on the event
// queue until the liveness phase; and the highest version any of them ever
// had applied per key, which bounds what the honest writes they superseded
// may still be promised (judge.ts).

import type { Event } from '../protocol/event.js'
import type { SyncMessage } from '../protocol/messages.js'
import type { EventQueue } from './event-queue.js'
import { Adversary, ADVERSARY_TICK_MS, type Attack } from './federation/byzantine.js'
import type { SimFederation } from './federation/federation.js'
import type { SimNode } from './node.js'
import { Prng } from './prng.js'
import type { RulesLog } from './rules-log.js'
import { compareVersion, type Versioned } from './version.js'

export interface ByzantineComponents {
  seed: number
  queue: EventQueue
  /** The cluster's nodes, by index and by id. */
  nodes: readonly SimNode[]
  byId: ReadonlyMap<string, SimNode>
  /** Byzantine members exist only in a federation. */
  federation: SimFederation | undefined
  /** Sends as the cluster does (through the gate, counted, sized). */
  send: (from: SimNode, to: string, message: SyncMessage) => void
  /** The grants written for joiners: the log any member can read (admin-writes.ts). */
  tokenGrants: Event[]
  rulesLog: RulesLog | undefined
}

export class ByzantineMembers {
  /** By node index. */
  readonly adversaries = new Map<number, Adversary>()
  /** Per key, the highest version a Byzantine member ever had applied anywhere (what its writes may have superseded). */
  readonly top = new Map<string, Versioned>()
  private active = true

  constructor (private readonly c: ByzantineComponents) {}

  /** Byzantine members act on their own until the liveness phase begins (stop). */
  add (index: number, attacks: Attack[]): void {
    const node = this.node(index)
    const fed = this.c.federation as SimFederation
    this.adversaries.set(index, new Adversary({
      id: node.id,
      signer: node.signer,
      random: Prng.derive(this.c.seed, `adversary:${node.id}`),
      attacks: new Set(attacks),
      replica: () => (node.status === 'up' ? node.replica : undefined),
      peers: () => node.neighbours.filter(j => node.connected.has(j)).map(j => this.node(j).id),
      send: (to, m) => { if (node.status === 'up') this.c.send(node, to, m) },
      tokenGrants: () => this.c.tokenGrants,
      members: () => [...fed.admitted.keys()],
      wallMs: () => node.clock.nowMs(),
      ingest: e => { node.deliver(node.id, { type: 'push', events: [e], ttl: 0 }) },
      signed: e => { this.c.rulesLog?.note(e) }
    }))
  }

  /** Starts their ticks, if there are any. */
  start (): void {
    if (this.adversaries.size > 0) this.loop()
  }

  /** The liveness phase: Byzantine members stop acting on their own (what they send is still theirs to filter). */
  stop (): void {
    this.active = false
  }

  has (index: number): boolean {
    return this.adversaries.has(index)
  }

  /** Their node ids. */
  ids (): Set<string> {
    return new Set([...this.adversaries.keys()].map(i => this.node(i).id))
  }

  /** What node `from` really sends instead of `message`: a Byzantine member's lies, an honest one's message. */
  outgoing (from: SimNode, to: string, message: SyncMessage): SyncMessage | undefined {
    const adv = this.adversaries.get(from.index)
    return adv === undefined ? message : adv.outgoing(to, message)
  }

  /** An event was applied at some node: raise `top` if a Byzantine member wrote it. */
  applied (event: Event): void {
    if (this.adversaries.size === 0) return
    const author = this.c.byId.get(event.author)
    if (author === undefined || !this.adversaries.has(author.index) || (event.body.kind !== 'put' && event.body.kind !== 'delete')) return
    const top = this.top.get(event.body.key)
    if (top === undefined || compareVersion(event, top) > 0) this.top.set(event.body.key, event)
  }

  private loop (): void {
    this.c.queue.at(this.c.queue.now() + ADVERSARY_TICK_MS, () => {
      if (!this.active) return
      for (const a of this.adversaries.values()) a.tick()
      this.loop()
    })
  }

  private node (i: number): SimNode { return this.c.nodes[i] as SimNode }
}
