// The harness: N virtual nodes on one event queue and one network, plus the
// history of writes and the runtime monitors. Scenarios and scripted tests
// drive it through a small vocabulary — write, crash, restart, pause, resume,
// partition, cutOneWay, heal, join, leave, clock(i).jump(...), runFor(ms),
// settle() — and read results through views() and check().
//
// This file builds the nodes and wires them (the hooks every node, joiners
// too, is built with), keeps the members' list, and drives faults and time.
// The parts live beside it, each given what it needs:
//   message-router.ts    a message from node to node: gates, counts, sizes
//   client-writes.ts     a client's write, taken by a node's core into the history
//   topology.ts          who links to whom, and whether each link is up
//   admin-writes.ts      a joiner's grant, revocations, rule sets
//   byzantine-members.ts the Byzantine members and what they may have superseded
//   judge.ts             the judged nodes, their views, and every checker over them
//   digests.ts           agreement and the convergence samples

import type { DeleteBody, Event, PutBody, Role } from '../protocol/event.js'
import type { SyncMessage } from '../protocol/messages.js'
import { Replica } from '../protocol/replica.js'
import type { PersistBatch, ReplicaInit } from '../protocol/replica-api.js'
import type { Rule } from '../protocol/rules.js'
import { AckLedger } from './ack-ledger.js'
import { AdminWrites } from './admin-writes.js'
import { ByzantineMembers } from './byzantine-members.js'
import { ClientWrites } from './client-writes.js'
import { OffsetBoundMonitor } from './checkers/offset-bound.js'
import { ImmutableWatch } from './checkers/immutable.js'
import type { Revocation } from './checkers/roles.js'
import type { NodeView, Violation } from './checkers/types.js'
import { digestsAgree, sampleOf, type Sample } from './digests.js'
import { EventQueue } from './event-queue.js'
import type { Adversary, Attack } from './federation/byzantine.js'
import { SimFederation } from './federation/federation.js'
import { History, type WriteRecord } from './history.js'
import { Interner } from './interner.js'
import { Judge } from './judge.js'
import { MAX_VIOLATIONS_PER_CHECK } from './limits.js'
import { MessageRouter } from './message-router.js'
import type { Network, NetworkKnobs } from './network.js'
import { SimNode, type NodeHooks, type ReplicaFactory } from './node.js'
import { groupsPartition, type Partition } from './partitions.js'
import { Prng } from './prng.js'
import { RulesLog } from './rules-log.js'
import { Topology } from './topology.js'
import type { Versioned } from './version.js'

export { DIGEST_BYTES, holding, toHex, type Sample } from './digests.js'

export interface ClusterInit {
  seed: number
  nodes: number
  /** Most nodes that may join during the run (sizes per-write bitsets). Default 0. */
  maxJoins?: number
  network: NetworkKnobs
  /** fsync takes U(min, max) ms. */
  fsyncMs: [number, number]
  /** The replicas' settings. */
  replica: Omit<ReplicaInit, 'id'>
  /** Follow the visibility (latency) of every n-th write only. Default 1: all. */
  trackEvery?: number
  /** Give replicas the member list so they collect tombstones (acks are O(members²): keep it to small federations). */
  collectTombstones: boolean
  /** Keep each node's durable image so it can crash and restart. Default true; run.ts turns it off for timelines without a crash. */
  durableImages?: boolean
  /** Run a federation: n0 founds it, the initial nodes are members with these roles, joiners come with tokens. */
  federation?: {
    roleOf: (index: number) => Role
    /** Byzantine members and their attacks. */
    byzantine?: Array<{ node: number, attacks: Attack[] }>
  }
  /** The run writes artifact rules (writeRules): keep the ground truth the rules checkers need (rules-log.ts). Default false. */
  rules?: boolean
}

export interface ClusterComponents {
  /** Default: the real core, protocol/replica.ts. Tests of the checkers pass a deliberately broken one. */
  createReplica?: ReplicaFactory
  /** Does node `self` allow a session with node `peer`? Default: every link (read again at revalidate()). */
  allowLink?: (self: number, peer: number) => boolean
}

const defaultFactory: ReplicaFactory = (init, components, snapshot) => new Replica(init, components, snapshot)

export class Cluster {
  readonly queue = new EventQueue()
  readonly network: Network
  readonly nodes: SimNode[] = []
  readonly history: History
  readonly offsetMonitor: OffsetBoundMonitor
  readonly keys = new Set<string>()
  readonly init: ClusterInit
  held = 0
  /** Messages sent, by type (the cost breakdown). */
  readonly messagesByType: Record<string, number>
  private readonly fsync: Prng
  private memberIds: string[] = []
  private readonly byId = new Map<string, SimNode>()
  /** What every node, including later joiners, is built with. */
  private readonly hooks: NodeHooks
  /** The federation (genesis, crypto, admissions), unless an open mesh. */
  readonly federation: SimFederation | undefined
  /** Byzantine members by node index. */
  readonly adversaries: Map<number, Adversary>
  /** Grants written for joiners (token and claim): the log any member can read. */
  readonly tokenGrants: Event[]
  /** Revocations written, with the revoking event (its view decides the cut). */
  readonly revocations: Revocation[]
  /** Per key, the highest version a Byzantine member ever had applied anywhere (what its writes may have superseded). */
  readonly byzantineTop: Map<string, Versioned>
  /** The rules written and every user version issued (runs with rules only). */
  readonly rulesLog: RulesLog | undefined
  /** Creates of immutable keys seen acknowledged (watchRules). */
  readonly immutableWatch = new ImmutableWatch()
  /** The signed ack rows each node holds (runs with rules only): what acknowledged means. */
  private readonly acks: AckLedger | undefined
  private readonly router: MessageRouter
  private readonly links: Topology
  private readonly admin: AdminWrites
  private readonly byzantine: ByzantineMembers
  private readonly judge: Judge
  private readonly writes: ClientWrites

  constructor (init: ClusterInit, components: ClusterComponents = {}) {
    this.init = init
    this.rulesLog = init.rules === true ? new RulesLog() : undefined
    this.fsync = Prng.derive(init.seed, 'fsync')
    this.history = new History(init.nodes + (init.maxJoins ?? 0), init.trackEvery)
    this.offsetMonitor = new OffsetBoundMonitor(init.replica.maxClockOffsetMs ?? 60_000, MAX_VIOLATIONS_PER_CHECK)
    const fed = init.federation === undefined ? undefined : new SimFederation(init.seed, init.nodes, init.federation.roleOf)
    this.federation = fed
    this.acks = init.rules === true && fed !== undefined ? new AckLedger(fed.crypto.verifier) : undefined
    this.router = new MessageRouter(init.network, {
      queue: this.queue,
      random: Prng.derive(init.seed, 'network'),
      nodes: this.nodes,
      byId: this.byId,
      gateAllows: (a, b) => this.links.gateAllows(a, b),
      acks: this.acks
    })
    this.network = this.router.network
    this.messagesByType = this.router.messagesByType
    this.links = new Topology({ nodes: this.nodes, network: this.network, random: Prng.derive(init.seed, 'topology'), allowLink: components.allowLink ?? (() => true) })
    this.admin = new AdminWrites({ seed: init.seed, nodes: this.nodes, federation: fed, isByzantine: i => this.byzantine.has(i), rulesLog: this.rulesLog })
    this.tokenGrants = this.admin.tokenGrants
    this.revocations = this.admin.revocations
    this.byzantine = new ByzantineMembers({
      seed: init.seed,
      queue: this.queue,
      nodes: this.nodes,
      byId: this.byId,
      federation: fed,
      send: (from, to, m) => this.router.send(from, to, m),
      tokenGrants: this.tokenGrants,
      rulesLog: this.rulesLog
    })
    this.adversaries = this.byzantine.adversaries
    this.byzantineTop = this.byzantine.top
    this.judge = new Judge({
      nodes: this.nodes,
      now: () => this.now(),
      history: this.history,
      keys: this.keys,
      federation: fed,
      byzantine: this.byzantine,
      revocations: this.revocations,
      offsetMonitor: this.offsetMonitor,
      rulesLog: this.rulesLog,
      acks: this.acks,
      immutableWatch: this.immutableWatch
    })
    this.writes = new ClientWrites({
      nodes: this.nodes,
      now: () => this.now(),
      history: this.history,
      keys: this.keys,
      adversaries: this.adversaries,
      memberCount: () => this.memberIds.length,
      rulesLog: this.rulesLog
    })
    const createReplica = components.createReplica ?? defaultFactory
    const hooks: NodeHooks = {
      queue: this.queue,
      durableImages: init.durableImages ?? true,
      createReplica,
      replicaInit: fed === undefined ? init.replica : { ...init.replica, genesis: fed.genesis, collectStable: init.collectTombstones },
      randomFor: (n: SimNode) => Prng.derive(init.seed, `replica:${n.id}:${n.incarnation}`),
      send: (from: SimNode, to: string, message: SyncMessage) => this.router.send(from, to, message),
      fsyncDelayMs: () => this.fsync.range(init.fsyncMs[0], init.fsyncMs[1]),
      // A federation's replicas know their members from its grants and revokes; an open mesh needs the list.
      members: init.collectTombstones && init.federation === undefined ? () => this.memberIds : undefined,
      peerCount: () => Math.max(0, this.memberIds.length - 1),
      applied: (n: SimNode, e: Event, _prev: Event | undefined, local: boolean) => this.applied(n, e, local),
      // Under rules a stored version may become the winner long after it arrived (an admin's delete lets
      // a later create through, a rule set arrives), when the node's clock may read otherwise: the offset
      // bound is judged on what the replica stores, as it stores it. Its own events (a Byzantine member
      // takes its inventions into its own core as if from a peer) were stamped by its own clock.
      stored: init.rules === true ? (n: SimNode, batch: PersistBatch) => { for (const e of batch.put) this.offsetMonitor.applied(n.id, e, e.author === n.id, n.clock.nowMs(), this.now()) } : undefined,
      held: () => { this.held++ },
      acked: (_n: SimNode, r: WriteRecord) => this.history.ack(r, this.queue.now()),
      lost: (_n: SimNode, r: WriteRecord) => this.history.lose(r),
      diskNames: { keys: new Interner(), authors: new Interner() },
      ...(fed === undefined
        ? {}
        : {
            signerFor: (id: string) => fed.crypto.signerFor(id),
            verifier: fed.crypto.verifier,
            // Joiners (index ≥ the initial count) start empty and come in by token.
            initialImage: (n: SimNode) => (n.index < init.nodes ? fed.image : undefined),
            outgoing: (from: SimNode, to: string, m: SyncMessage) => this.byzantine.outgoing(from, to, m)
          })
    }
    for (let i = 0; i < init.nodes; i++) this.addNode(new SimNode(i, hooks))
    this.links.build()
    this.updateMembers()
    for (const b of init.federation?.byzantine ?? []) this.byzantine.add(b.node, b.attacks)
    for (const n of this.nodes) n.start()
    this.links.refresh(this.nodes)
    this.hooks = hooks
    this.byzantine.start()
  }

  /** The liveness phase: Byzantine members stop acting on their own (what they send is still theirs to filter). */
  stopAdversaries (): void {
    this.byzantine.stop()
  }

  isByzantine (index: number): boolean {
    return this.byzantine.has(index)
  }

  now (): number { return this.queue.now() }
  node (i: number): SimNode { return this.nodes[i] as SimNode }
  at (ms: number, action: () => void): void { this.queue.at(ms, action) }
  runFor (ms: number): void { this.queue.runUntil(this.queue.now() + ms) }
  runUntil (ms: number): void { this.queue.runUntil(ms) }

  /** Nodes whose process is running (what "every live node" means at the end). */
  liveNodes (): SimNode[] { return this.nodes.filter(n => n.status === 'up') }

  memberCount (): number { return this.memberIds.length }

  // ------------------------------------------------------------ workload

  /** A client write at node i; undefined when that node cannot take it (down, paused, gone). */
  write (i: number, body: PutBody | DeleteBody): WriteRecord | undefined { return this.writes.write(i, body) }

  put (i: number, key: string, size = 1): WriteRecord | undefined {
    const digest = new Uint8Array(32)
    digest[0] = size & 0xff
    digest[1] = (size >> 8) & 0xff
    return this.write(i, { kind: 'put', key, digest, size, props: {} })
  }

  del (i: number, key: string): WriteRecord | undefined {
    return this.write(i, { kind: 'delete', key })
  }

  // ------------------------------------------------------------ faults

  crash (i: number): void { this.node(i).crash(); this.links.refresh([this.node(i)]) }
  restart (i: number): void { this.node(i).restart(); this.links.refresh([this.node(i)]) }
  pause (i: number): void { this.node(i).pause() }
  resume (i: number): void { this.node(i).resume(); this.links.refresh([this.node(i)]) }

  partition (p: Partition | undefined): void {
    this.network.setPartition(p)
    this.links.refresh(this.nodes)
  }

  /** Cuts each listed group off from the others and from everyone unlisted. */
  isolate (...groups: number[][]): void {
    this.partition(groupsPartition(this.nodes.length, groups))
  }

  /** Packets from `from` to `to` vanish; the other direction and both ends' view of the link stay up. */
  cutOneWay (from: number[], to: number[]): void { this.network.addOneWayCut(from, to) }

  setLinkDown (a: number, b: number, down: boolean): void {
    this.network.setLinkDown(a, b, down)
    this.links.refresh([this.node(a), this.node(b)])
  }

  /** Re-reads the link gate (allowLink): sessions it no longer allows go down at both ends, newly allowed ones come up. */
  revalidate (): void { this.links.refresh(this.nodes) }

  /** Heals every network fault (partitions, cuts, flapped links). */
  heal (): void {
    this.network.healAll()
    this.links.refresh(this.nodes)
  }

  /** Brings every node back: restarts the crashed, resumes the paused. */
  reviveAll (): void {
    for (const n of this.nodes) {
      if (n.status === 'down') n.restart()
      else if (n.status === 'paused') n.resume()
    }
    this.links.refresh(this.nodes)
  }

  /**
   * A new, empty node joins, linked to random live members. In a federation
   * it is admitted by token (admin-writes.ts). Returns its index.
   */
  join (): number {
    const node = new SimNode(this.nodes.length, this.hooks)
    const members = this.nodes.filter(n => n.status !== 'left').map(n => n.index)
    const links = this.links.linksForJoiner(members)
    this.addNode(node)
    for (const j of links) this.links.link(node.index, j)
    this.updateMembers()
    node.start()
    this.links.refresh([node])
    this.admin.admit(node, links)
    return node.index
  }

  /** An admin that is up (n0, else n1) revokes node i. */
  revoke (i: number): boolean { return this.admin.revoke(i) }

  /** An admin that is up (n0, else n1) writes a rule set; undefined if none could. */
  writeRules (rules: Rule[]): Event | undefined { return this.admin.writeRules(rules) }

  /** Notes the creates of immutable keys acknowledged now (judge.ts); the run calls it every RULES_WATCH_MS. */
  watchRules (): void { this.judge.watchRules() }

  leave (i: number): void {
    const node = this.node(i)
    node.leave()
    this.updateMembers()
    this.links.refresh([node])
  }

  // ------------------------------------------------------------ convergence

  /** True when every live honest node has the same digest and nothing is held back for clock offset. */
  agreed (): boolean { return digestsAgree(this.judge.judgedNodes()) }

  /**
   * Runs until the live nodes agree and still agree `confirmMs` later, or
   * `budgetMs` passes. Returns the virtual time agreement was first reached, or undefined.
   */
  settle (budgetMs: number, confirmMs: number, checkEveryMs = 10): number | undefined {
    const deadline = this.now() + budgetMs
    while (this.now() <= deadline) {
      if (this.agreed()) {
        const at = this.now()
        this.runFor(confirmMs)
        if (this.agreed()) return at
        continue
      }
      this.runFor(checkEveryMs)
    }
    return undefined
  }

  /** Digest histogram of the live nodes (for the convergence chart). */
  sample (): Sample {
    const live = this.judge.judgedNodes()
    return sampleOf(live, this.now(), this.history.backlog())
  }

  // ------------------------------------------------------------ checks

  /** The live nodes the checkers judge: in a federation, the honest members (a Byzantine or revoked member's own state is its business). */
  views (): NodeView[] { return this.judge.views() }

  /** Every safety invariant on the current state. Call after settle(). */
  check (): Violation[] { return this.judge.check() }

  // ------------------------------------------------------------ wiring

  private applied (node: SimNode, event: Event, local: boolean): void {
    const now = this.now()
    this.byzantine.applied(event)
    // With rules the bound is judged as versions are stored (hooks.stored).
    if (this.rulesLog === undefined) this.offsetMonitor.applied(node.id, event, local, node.clock.nowMs(), now)
    // Local writes are recorded by write() once the history has their record.
    if (!local) this.history.observe(node.index, event.body.key, event, now)
  }

  private addNode (node: SimNode): void {
    this.nodes.push(node)
    this.byId.set(node.id, node)
  }

  private updateMembers (): void {
    this.memberIds = this.nodes.filter(n => n.status !== 'left').map(n => n.id)
  }
}
