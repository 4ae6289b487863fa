// The harness: N virtual nodes on one event queue and one network, plus the
// history of writes and the runtime monitors. Scenarios and scripted tests
// drive it through a small vocabulary — write, crash, restart, pause, resume,
// partition, cutOneWay, heal, join, leave, clock(i).jump(...), runFor(ms),
// settle() — and read results through views() and check().
//
// Topology: up to FULL_MESH_MAX nodes every pair is linked; beyond, each node
// links to its ring neighbours and RANDOM_LINKS random others (symmetric), a
// bounded neighbour set as a real connection manager keeps. A link is "up"
// (the replicas at both ends were told peerUp) while both ends are alive, no
// partition or flapping separates them, and each end's gate allows the other
// (allowLink: the daemon's membership gate; the scenarios allow every link).
// revalidate() applies a changed gate, as the daemon's mesh does.

import { isMycelError } from '../protocol/errors.js'
import { revokeKey, rulesKey, type DeleteBody, type Event, type PutBody, type Role, type RulesBody } from '../protocol/event.js'
import { hexOf } from '../protocol/invite.js'
import type { SyncMessage } from '../protocol/messages.js'
import { Replica } from '../protocol/replica.js'
import type { PersistBatch, ReplicaApi, ReplicaInit } from '../protocol/replica-api.js'
import type { Rule } from '../protocol/rules.js'
import { checkConvergence } from './checkers/convergence.js'
import { checkIntegrity } from './checkers/integrity.js'
import { checkLostWrites } from './checkers/lost-writes.js'
import { OffsetBoundMonitor } from './checkers/offset-bound.js'
import { checkResurrection } from './checkers/resurrection.js'
import { capped, type NodeView, type Violation } from './checkers/types.js'
import { EventQueue } from './event-queue.js'
import { History, type WriteRecord } from './history.js'
import { Interner } from './interner.js'
import { FULL_MESH_MAX, MAX_VIOLATIONS_PER_CHECK, RANDOM_LINKS } from './limits.js'
import { messageSize, SharedArraySizes } from './message-size.js'
import { Network, type NetworkKnobs } from './network.js'
import { SimNode, type NodeHooks, type ReplicaFactory } from './node.js'
import { groupsPartition, type Partition } from './partitions.js'
import { Prng } from './prng.js'
import { compareVersion, type Versioned } from './version.js'
import { Adversary, ADVERSARY_TICK_MS, type Attack } from './federation/byzantine.js'
import { SimFederation } from './federation/federation.js'
import { checkRoles, type Revocation } from './checkers/roles.js'
import { checkImmutable, ImmutableWatch } from './checkers/immutable.js'
import { checkReplicas } from './checkers/replicas.js'
import { checkRetention } from './checkers/retention.js'
import { RulesLog } from './rules-log.js'
import { AckLedger } from './ack-ledger.js'

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

export interface Sample {
  atMs: number
  live: number
  /**
   * Every live node's state digest, 32 bytes each, end to end. Raw bytes, not
   * a map of hex strings: which digest matters (the final one) is known only
   * at the end, and a thousand hex strings per sample were a quarter of the
   * simulator's live heap.
   */
  digests: Uint8Array
  /** Acknowledged writes not yet seen by every member. */
  backlog: number
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
  readonly messagesByType: Record<string, number> = {}
  private readonly topology: Prng
  private readonly fsync: Prng
  private memberIds: string[] = []
  private readonly byId = new Map<string, SimNode>()
  /** Message sizes of resent vv entries and of pushes sharing one events array, per sender. */
  private readonly vvSizes = new SharedArraySizes()
  private readonly pushSizes = new SharedArraySizes()
  /** What every node, including later joiners, is built with. */
  private readonly hooks: NodeHooks
  private readonly allowLink: (self: number, peer: number) => boolean
  /** The federation (genesis, crypto, admissions), unless an open mesh. */
  readonly federation: SimFederation | undefined
  /** Byzantine members by node index. */
  readonly adversaries = new Map<number, Adversary>()
  /** Grants written for joiners (token and claim): the log any member can read. */
  readonly tokenGrants: Event[] = []
  /** Revocations written, with the revoking event (its view decides the cut). */
  readonly revocations: Revocation[] = []
  /** Per key, the highest version a Byzantine member ever had applied anywhere (what its writes may have superseded). */
  readonly byzantineTop = new Map<string, Versioned>()
  /** The rules written and every user version issued (runs with rules only). */
  readonly rulesLog: RulesLog | undefined
  /** Creates of immutable keys seen acknowledged (watchRules). */
  readonly immutableWatch = new ImmutableWatch()
  /** The signed ack rows each node holds (runs with rules only): what acknowledged means. */
  private readonly acks: AckLedger | undefined
  private rulesWritten = 0
  private adversaryActive = true

  constructor (init: ClusterInit, components: ClusterComponents = {}) {
    this.init = init
    this.rulesLog = init.rules === true ? new RulesLog() : undefined
    this.allowLink = components.allowLink ?? (() => true)
    this.topology = Prng.derive(init.seed, 'topology')
    this.fsync = Prng.derive(init.seed, 'fsync')
    this.history = new History(init.nodes + (init.maxJoins ?? 0), init.trackEvery)
    this.offsetMonitor = new OffsetBoundMonitor(init.replica.maxClockOffsetMs ?? 60_000, MAX_VIOLATIONS_PER_CHECK)
    this.network = new Network(init.network, {
      queue: this.queue,
      random: Prng.derive(init.seed, 'network'),
      // The sender's own id string (its hash already computed), not a new one per message.
      deliver: (from, to, message) => {
        const sender = this.nodes[from]
        // A session the gate closed while the message was on its way carries nothing more.
        if (sender === undefined || !this.gateAllows(from, to)) return
        const target = this.nodes[to]
        if (this.acks !== undefined && message.type === 'acks' && target?.status === 'up') this.acks.heard(to, target.incarnation, message.acks)
        target?.deliver(sender.id, message)
      }
    })
    const createReplica = components.createReplica ?? defaultFactory
    const fed = init.federation === undefined ? undefined : new SimFederation(init.seed, init.nodes, init.federation.roleOf)
    this.federation = fed
    this.acks = init.rules === true && fed !== undefined ? new AckLedger(fed.crypto.verifier) : undefined
    const hooks: NodeHooks = {
      queue: this.queue,
      durableImages: init.durableImages ?? true,
      createReplica,
      replicaInit: fed === undefined ? init.replica : { ...init.replica, genesis: fed.genesis, collectStable: init.collectTombstones },
      randomFor: (n: SimNode) => Prng.derive(init.seed, `replica:${n.id}:${n.incarnation}`),
      send: (from: SimNode, to: string, message: SyncMessage) => this.send(from, to, message),
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
            outgoing: (from: SimNode, to: string, m: SyncMessage) => {
              const adv = this.adversaries.get(from.index)
              return adv === undefined ? m : adv.outgoing(to, m)
            }
          })
    }
    for (let i = 0; i < init.nodes; i++) this.addNode(new SimNode(i, hooks))
    this.buildTopology()
    this.updateMembers()
    for (const b of init.federation?.byzantine ?? []) this.addAdversary(b.node, b.attacks)
    for (const n of this.nodes) n.start()
    this.refreshLinks(this.nodes)
    this.hooks = hooks
    if (this.adversaries.size > 0) this.adversaryLoop()
  }

  /** Byzantine members act on their own until the liveness phase begins (stopAdversaries). */
  private addAdversary (index: number, attacks: Attack[]): void {
    const node = this.node(index)
    const fed = this.federation as SimFederation
    this.adversaries.set(index, new Adversary({
      id: node.id,
      signer: node.signer,
      random: Prng.derive(this.init.seed, `adversary:${node.id}`),
      attacks: new Set(attacks),
      replica: () => (node.status === 'up' ? node.replica : undefined),
      peers: () => node.neighbours.filter(j => node.connected.has(j)).map(j => this.node(j).id),
      send: (to, m) => { if (node.status === 'up') this.send(node, to, m) },
      tokenGrants: () => this.tokenGrants,
      members: () => [...fed.admitted.keys()],
      wallMs: () => node.clock.nowMs(),
      ingest: e => { node.deliver(node.id, { type: 'push', events: [e], ttl: 0 }) },
      signed: e => { this.rulesLog?.note(e) }
    }))
  }

  private adversaryLoop (): void {
    this.queue.at(this.now() + ADVERSARY_TICK_MS, () => {
      if (!this.adversaryActive) return
      for (const a of this.adversaries.values()) a.tick()
      this.adversaryLoop()
    })
  }

  /** The liveness phase: Byzantine members stop acting on their own (what they send is still theirs to filter). */
  stopAdversaries (): void {
    this.adversaryActive = false
  }

  isByzantine (index: number): boolean {
    return this.adversaries.has(index)
  }

  /**
   * The nodes the checkers judge: up, honest, and not revoked. A revoked member is no member: every
   * daemon's membership gate cuts it off once the revocation arrives, so what it holds afterwards is
   * its own (one revoked while cut off never hears of the deletes collected without its ack). The
   * simulator keeps its links, so nothing it relays is lost to the others; it is just not judged.
   */
  private judgedNodes (): SimNode[] {
    const revoked = new Set<string>()
    for (const r of this.revocations) if (r.durable()) revoked.add(r.target)
    return this.nodes.filter(n => n.status === 'up' && n.replica !== undefined && !this.adversaries.has(n.index) && !revoked.has(n.id))
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
  write (i: number, body: PutBody | DeleteBody): WriteRecord | undefined {
    const node = this.nodes[i]
    if (node === undefined || node.status !== 'up') return undefined
    const now = this.now()
    const held = this.rulesLog === undefined ? undefined : node.replica?.get(body.key)
    let written: { event: Event, batch: number }
    try {
      written = node.write(body)
    } catch (err) {
      // A reader, a revoked member, a joiner not yet admitted, a delete the rules refuse it, a put over an
      // immutable key it holds (CONFLICT): its own core refuses, as the daemon's would.
      if (isMycelError(err, 'PERMISSION_DENIED') || isMycelError(err, 'CONFLICT')) return undefined
      throw err
    }
    // The very bytes an immutable key holds: no write at all, the core answers with the event it holds.
    if (held !== undefined && written.event === held) return undefined
    const { event, batch } = written
    this.adversaries.get(i)?.wrote(event)
    this.keys.add(body.key)
    const newest = this.history.raiseTop(body.key, event)
    const record = this.history.issue({
      node: i,
      author: event.author,
      seq: event.seq,
      id: event.id,
      key: body.key,
      kind: body.kind,
      conditional: body.kind === 'delete' && body.ifVersion !== undefined,
      stamp: event.stamp,
      issuedAtMs: now,
      audienceBelow: this.nodes.length,
      audience: this.memberIds.length
    })
    this.rulesLog?.note(event, record)
    // The author now holds this version: older open writes of the key are visible here too.
    this.history.observe(i, body.key, event, now)
    if (record.tracked && newest) {
      // Nothing at or above it exists anywhere but here: looking at every node would find only its author.
      this.history.markSeen(record, i, now)
    } else if (record.tracked) {
      for (const n of this.nodes) {
        const v = n.replica?.get(body.key)
        if (v !== undefined && compareVersion(v, record) >= 0) this.history.markSeen(record, n.index, now)
      }
    }
    node.awaitAck(record, batch)
    return record
  }

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

  crash (i: number): void { this.node(i).crash(); this.refreshLinks([this.node(i)]) }
  restart (i: number): void { this.node(i).restart(); this.refreshLinks([this.node(i)]) }
  pause (i: number): void { this.node(i).pause() }
  resume (i: number): void { this.node(i).resume(); this.refreshLinks([this.node(i)]) }

  partition (p: Partition | undefined): void {
    this.network.setPartition(p)
    this.refreshLinks(this.nodes)
  }

  /** Cuts each listed group off from the others and from everyone unlisted. */
  isolate (...groups: number[][]): void {
    this.partition(groupsPartition(this.nodes.length, groups))
  }

  /** Packets from `from` to `to` vanish; the other direction and both ends' view of the link stay up. */
  cutOneWay (from: number[], to: number[]): void { this.network.addOneWayCut(from, to) }

  setLinkDown (a: number, b: number, down: boolean): void {
    this.network.setLinkDown(a, b, down)
    this.refreshLinks([this.node(a), this.node(b)])
  }

  /** Re-reads the link gate (allowLink): sessions it no longer allows go down at both ends, newly allowed ones come up. */
  revalidate (): void { this.refreshLinks(this.nodes) }

  /** Heals every network fault (partitions, cuts, flapped links). */
  heal (): void {
    this.network.healAll()
    this.refreshLinks(this.nodes)
  }

  /** Brings every node back: restarts the crashed, resumes the paused. */
  reviveAll (): void {
    for (const n of this.nodes) {
      if (n.status === 'down') n.restart()
      else if (n.status === 'paused') n.resume()
    }
    this.refreshLinks(this.nodes)
  }

  /**
   * A new, empty node joins, linked to random live members. In a federation
   * it holds a token from n0 and presents its claim to the first member it is
   * linked to that is up and accepts it, which writes its grant (the daemon's
   * join protocol, without the stream). Returns its index.
   */
  join (): number {
    const node = new SimNode(this.nodes.length, this.hooks)
    const members = this.nodes.filter(n => n.status !== 'left').map(n => n.index)
    const links = members.length <= FULL_MESH_MAX ? members : this.topology.sample(members.length, RANDOM_LINKS + 2).map(k => members[k] as number)
    this.addNode(node)
    for (const j of links) this.link(node.index, j)
    this.updateMembers()
    node.start()
    this.refreshLinks([node])
    const fed = this.federation
    if (fed !== undefined) {
      const { invite, claim } = fed.invite('n0', node.id, this.node(0).clock.nowMs())
      for (const j of links) {
        const m = this.node(j)
        if (m.status !== 'up' || this.adversaries.has(j)) continue
        try {
          const { event } = m.write({ kind: 'member', key: fed.grantKey(node.id), peer: node.id, role: 'writer', invite, claim })
          fed.admitted.set(node.id, { role: 'writer', initial: false })
          this.tokenGrants.push(event)
          break
        } catch (err) {
          if (!isMycelError(err, 'PERMISSION_DENIED')) throw err
        }
      }
    }
    return node.index
  }

  /** An admin that is up (n0, else n1) revokes node i. */
  revoke (i: number): boolean {
    const target = this.node(i)
    for (const a of [0, 1]) {
      const admin = this.nodes[a]
      if (admin === undefined || admin.status !== 'up') continue
      try {
        const { event, batch } = admin.write({ kind: 'revoke', key: revokeKey(target.id, hexOf(Prng.derive(this.init.seed, `revoke:${this.revocations.length}`).bytes(16))), peer: target.id })
        // Promised only once durable at its author: a crash before that may take it (as it would a publish).
        let durable = false
        admin.whenDurable(batch, () => { durable = true })
        this.revocations.push({ target: target.id, event, durable: () => durable })
        return true
      } catch (err) {
        if (!isMycelError(err, 'PERMISSION_DENIED')) throw err
      }
    }
    return false
  }

  /**
   * An admin that is up (n0, else n1) writes a rule set (a rules event under a key of its own). Recorded
   * for the rules checkers, and dropped from their truth if lost in its author's crash.
   */
  writeRules (rules: Rule[]): Event | undefined {
    const log = this.rulesLog
    if (log === undefined) throw new Error('assertion failed: writeRules in a cluster built without rules: true')
    const nonce = hexOf(Prng.derive(this.init.seed, `rules:${this.rulesWritten++}`).bytes(16))
    for (const a of [0, 1]) {
      const admin = this.nodes[a]
      if (admin === undefined || admin.status !== 'up') continue
      try {
        const { event, batch } = admin.write({ kind: 'rules', key: rulesKey(nonce), rules })
        const lost = log.addRules(event as Event & { body: RulesBody })
        admin.whenDurable(batch, () => {}, lost)
        return event
      } catch (err) {
        if (!isMycelError(err, 'PERMISSION_DENIED')) throw err
      }
    }
    return undefined
  }

  /**
   * Notes the creates of immutable keys acknowledged now (checkers/immutable.ts): the winner of the key
   * at some honest live node, and stable there by the core's own test, recomputed from the signed ack
   * rows the node holds (ack-ledger.ts). Cheap (honest nodes × immutable keys × members); the run calls
   * it every RULES_WATCH_MS.
   */
  watchRules (): void {
    const log = this.rulesLog
    const acks = this.acks
    if (log === undefined || acks === undefined) return
    const keys = log.immutableKeys()
    if (keys.length === 0) return
    // A revoked member's view of what is stable promises nothing: the members have cut it off.
    for (const n of this.judgedNodes()) {
      const r = n.replica as ReplicaApi
      for (const key of keys) {
        const w = r.get(key)
        if (w === undefined || w.body.kind !== 'put' || log.rulesAt(w.stamp).ruleFor(key)?.immutable !== true) continue
        if (acks.stable(n.index, n.incarnation, r, w)) this.immutableWatch.acknowledge(key, w, n.id, this.now())
      }
    }
  }

  leave (i: number): void {
    const node = this.node(i)
    node.leave()
    this.updateMembers()
    this.refreshLinks([node])
  }

  // ------------------------------------------------------------ convergence

  /** True when every live honest node has the same digest and nothing is held back for clock offset. */
  agreed (): boolean {
    let first: Uint8Array | undefined
    const judged = this.judgedNodes()
    for (const n of judged) {
      const d = (n.replica as ReplicaApi).digest()
      if (first === undefined) { first = d; continue }
      for (let k = 0; k < d.length; k++) if (d[k] !== first[k]) return false
    }
    for (const n of judged) if ((n.replica?.stats().heldNow ?? 0) > 0) return false
    return true
  }

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
    const live = this.judgedNodes()
    const digests = new Uint8Array(live.length * DIGEST_BYTES)
    live.forEach((n, i) => digests.set((n.replica as ReplicaApi).digest(), i * DIGEST_BYTES))
    return { atMs: this.now(), live: live.length, digests, backlog: this.history.backlog() }
  }

  // ------------------------------------------------------------ checks

  /** The live nodes the checkers judge: in a federation, the honest members (a Byzantine or revoked member's own state is its business). */
  views (): NodeView[] {
    return this.judgedNodes().map(n => {
      const r = n.replica
      if (r === undefined) throw new Error(`assertion failed: live node ${n.id} has no replica`)
      return { id: n.id, digest: toHex(r.digest()), get: (key: string) => r.get(key), members: () => r.members?.(), rules: () => r.rules?.().set }
    })
  }

  /** Every safety invariant on the current state. Call after settle(). */
  check (): Violation[] {
    const views = this.views()
    const writes = this.promisedWrites(views)
    return [
      ...this.checkRules(views),
      ...checkConvergence(views, [...this.keys]),
      ...capped(checkLostWrites(writes, views), MAX_VIOLATIONS_PER_CHECK),
      ...capped(checkResurrection(writes, views), MAX_VIOLATIONS_PER_CHECK),
      ...(this.federation === undefined ? [] : capped(checkRoles(views, [...this.keys], this.federation.admitted, this.revocations), MAX_VIOLATIONS_PER_CHECK)),
      ...capped(checkIntegrity(this.history, [...this.keys], views, new Set([...this.adversaries.keys()].map(i => this.node(i).id))), MAX_VIOLATIONS_PER_CHECK),
      ...this.offsetMonitor.report()
    ]
  }

  /** The rules checkers (runs with rules only), on the state as it is now. */
  private checkRules (views: NodeView[]): Violation[] {
    const log = this.rulesLog
    if (log === undefined) return []
    this.watchRules()
    const byzantine = new Set([...this.adversaries.keys()].map(i => this.node(i).id))
    const replicated = [...log.versions.keys()].filter(k => log.current().ruleFor(k)?.replicas !== undefined)
    return [
      ...capped(checkImmutable(views, log, this.immutableWatch.acknowledged, byzantine), MAX_VIOLATIONS_PER_CHECK),
      ...capped(checkRetention(views, log, byzantine), MAX_VIOLATIONS_PER_CHECK),
      ...capped(checkReplicas(views, replicated, new Set(this.liveNodes().map(n => n.id))), MAX_VIOLATIONS_PER_CHECK)
    ]
  }

  /**
   * The acknowledged writes the federation promised to keep: not a Byzantine
   * member's, not a revoked member's beyond its cut (void by design), and not
   * one a Byzantine member's write superseded (a writer may overwrite; if its
   * write is voided later, what it superseded may already be collected), and
   * not one the rules may void (rules-log.ts: a put over an immutable key, a
   * delete its author's role may not make; checkers/immutable.ts holds those).
   */
  private promisedWrites (views: NodeView[]): WriteRecord[] {
    const all = this.history.writes
    const fed = this.federation
    if (fed === undefined) return all
    const m = views[0]?.members?.()
    const byzantine = new Set([...this.adversaries.keys()].map(i => this.node(i).id))
    const log = this.rulesLog
    const isAdmin = (author: string): boolean => fed.admitted.get(author)?.role === 'admin'
    return all.filter(w => {
      if (byzantine.has(w.author)) return false
      if (log !== undefined && log.voidable(w, isAdmin)) return false
      const cut = m?.cutOf(w.author)
      if (cut !== undefined && w.seq > cut.seq) return false
      const top = this.byzantineTop.get(w.key)
      return top === undefined || compareVersion(top, w) < 0
    })
  }

  // ------------------------------------------------------------ wiring

  private send (from: SimNode, to: string, message: SyncMessage): void {
    const target = this.byId.get(to)
    if (target === undefined || !this.gateAllows(from.index, target.index)) return
    if (this.acks !== undefined && message.type === 'acks') this.acks.heard(from.index, from.incarnation, message.acks)
    this.messagesByType[message.type] = (this.messagesByType[message.type] ?? 0) + 1
    this.network.send(from.index, target.index, message, this.sizeOf(from.index, message))
  }

  private sizeOf (from: number, message: SyncMessage): number {
    if (message.type === 'push') return this.pushSizes.sizeOf(from, message.events, message)
    if (message.type === 'vv') return this.vvSizes.sizeOf(from, message.vv, message)
    return messageSize(message)
  }

  private applied (node: SimNode, event: Event, local: boolean): void {
    const now = this.now()
    if (this.adversaries.size > 0) this.noteByzantine(event)
    // With rules the bound is judged as versions are stored (hooks.stored).
    if (this.rulesLog === undefined) this.offsetMonitor.applied(node.id, event, local, node.clock.nowMs(), now)
    // Local writes are recorded by write() once the history has their record.
    if (!local) this.history.observe(node.index, event.body.key, event, now)
  }

  private noteByzantine (event: Event): void {
    const author = this.byId.get(event.author)
    if (author === undefined || !this.adversaries.has(author.index) || (event.body.kind !== 'put' && event.body.kind !== 'delete')) return
    const top = this.byzantineTop.get(event.body.key)
    if (top === undefined || compareVersion(event, top) > 0) this.byzantineTop.set(event.body.key, event)
  }

  private addNode (node: SimNode): void {
    this.nodes.push(node)
    this.byId.set(node.id, node)
  }

  private updateMembers (): void {
    this.memberIds = this.nodes.filter(n => n.status !== 'left').map(n => n.id)
  }

  private buildTopology (): void {
    const n = this.nodes.length
    if (n <= FULL_MESH_MAX) {
      for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) this.link(a, b)
      return
    }
    for (let a = 0; a < n; a++) {
      this.link(a, (a + 1) % n)
      for (let k = 0; k < RANDOM_LINKS; k++) {
        const b = this.topology.int(n)
        if (b !== a) this.link(a, b)
      }
    }
    for (const node of this.nodes) node.neighbours.sort((x, y) => x - y)
  }

  private link (a: number, b: number): void {
    const na = this.node(a)
    const nb = this.node(b)
    if (na.neighbours.includes(b)) return
    na.neighbours.push(b)
    nb.neighbours.push(a)
  }

  /** Brings every replica's view of its links in line with who is alive and what the network allows. */
  private refreshLinks (changed: Iterable<SimNode>): void {
    for (const a of changed) {
      for (const j of a.neighbours) {
        const b = this.node(j)
        const want = a.alive() && b.alive() && this.network.connected(a.index, b.index) && this.gateAllows(a.index, b.index)
        this.setView(a, b, want)
        this.setView(b, a, want)
      }
    }
  }

  /** Both ends' gates allow a session between a and b. */
  private gateAllows (a: number, b: number): boolean {
    return this.allowLink(a, b) && this.allowLink(b, a)
  }

  /** A paused node learns of link changes when it resumes (resume refreshes its links). */
  private setView (self: SimNode, peer: SimNode, up: boolean): void {
    if (self.status !== 'up') return
    if (up) self.peerUp(peer)
    else self.peerDown(peer)
  }
}

/** Bytes of a state digest (state.ts: the XOR of the ids held). */
export const DIGEST_BYTES = 32

/** How many of a sample's digests equal `digest`. */
export function holding (sample: Sample, digest: Uint8Array): number {
  let n = 0
  for (let at = 0; at < sample.digests.length; at += DIGEST_BYTES) {
    let k = 0
    while (k < DIGEST_BYTES && sample.digests[at + k] === digest[k]) k++
    if (k === DIGEST_BYTES) n++
  }
  return n
}

export function toHex (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] as number).toString(16).padStart(2, '0')
  return s
}
