// The daemon: composes the parts and owns their lifecycle.
//
//   LevelStore ◄── CommitQueue ◄── persist ── Replica (protocol/) ── send ──► Mesh (daemon/net/, libp2p)
//        ▲              │ markDurable ─────────►  ▲   ▲                          │ receive / peerUp / peerDown
//        │              └ whenDurable ◄── LocalNode (NodeApi) ◄── ApiServer (HTTP on 127.0.0.1) ◄── CLI
//   loadSnapshot at start                        Ticker (one timer drives replica.tick)
//
//   FederationGate: the core's membership → mesh.isAllowed, revalidate on change, strikes for forged events
//   JoinServer (/mycel/join/1.0.0): members admit token holders; NodeFacade: the API's view of the current node
//
// Start order: data dir → identity → store (genesis, snapshot) → blobs →
// replica → mesh → join server → ticker → join (a joiner is admitted) → API
// (api.json last: when it exists, the node is ready). `mycel join` on a node
// alone in its own federation reruns the federation part (runFederation). Stop runs it backwards and waits for queued writes, so a
// clean stop loses nothing; a crash loses nothing acknowledged either (every
// acknowledged write was in a fsynced LevelDB batch).

import { mkdir } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeEvent } from '../protocol/codec.js'
import { isMycelError, MycelError } from '../protocol/errors.js'
import { Replica } from '../protocol/replica.js'
import type { Clock, Random } from '../protocol/ports.js'
import type { SyncMessage } from '../protocol/messages.js'
import type { ReplicaSnapshot } from '../protocol/replica-api.js'
import { AddressGossip } from './federation/address-gossip.js'
import { ApplyTiming } from './visibility/apply-timing.js'
import { ApiServer } from './api/server.js'
import { BlobStore } from './blob/store.js'
import { ReplicationPolicy } from './blob/policy.js'
import { BlobService } from './blob/service.js'
import { blobTestSwitches } from './testing/switches.js'
import { BlobHoldings } from './visibility/blob-holdings.js'
import type { DaemonConfig } from './config.js'
import type { Genesis, SignedInvite } from '../protocol/invite.js'
import { settleFederation, type Settled } from './federation/settle.js'
import { FederationGate } from './federation/gate.js'
import { FederationOps } from './federation/ops.js'
import type { JoinReply } from './federation/join/client.js'
import { parseJoinToken, precheckToken, presentToken } from './federation/join/joiner.js'
import { joinVia, startJoinServer } from './federation/join/joining.js'
import type { JoinServer } from './federation/join/server.js'
import type { JoinResult } from './api/contract.js'
import { NodeFacade } from './api/node-facade.js'
import { localApiRoutes } from './api/routes.js'
import { MAX_PERSIST_BACKLOG_EVENTS, TICK_DELAY_MS_MAX } from './limits.js'
import type { Logger } from './log.js'
import { createMesh, type Mesh } from './net/mesh.js'
import { loadOrCreateIdentity } from './net/identity.js'
import { LocalNode } from './api/local-node.js'
import { PeerLagTracker } from './visibility/peer-lag.js'
import { ed25519Signer, ed25519Verifier } from './signing.js'
import { CommitQueue } from './store/commit-queue.js'
import { LevelStore } from './store/level-store.js'
import { Ticker } from './ticker.js'
import { LinkFaults } from './testing/link-faults.js'
import { VisibilityHub } from './visibility/hub.js'

export interface DaemonInit {
  dir: string
  config: DaemonConfig
  /** An invite token from `--join`. */
  join?: string
  /** Members to present the token to before its inviter (full multiaddrs with /p2p/), from `--via`. */
  via?: string[]
  version: string
}

export interface DaemonComponents {
  log: Logger
  /** The store failed: the process must stop (the daemon has already begun stopping). */
  onFatal: (err: Error) => void
  /** This node served `bytes` of blob chunks to a member (the process's heap-growth governor listens). */
  onBlobServed?: (bytes: number) => void
}

export interface ReadyInfo {
  peerId: string
  federation: string
  founded: boolean
  listen: string[]
  api: string
  dir: string
}

/** What outlives a switch of federation: the node's identity, store and blobs. */
interface Base {
  peerId: string
  privateKey: PrivateKey
  store: LevelStore
  blobs: BlobStore
  log: Logger
  startedAtMs: number
}

interface Running {
  node: LocalNode
  mesh: Mesh
  core: Core
  federation: Settled
}

interface Core {
  replica: Replica
  queue: CommitQueue
  ticker: Ticker
  lag: PeerLagTracker
  timing: ApplyTiming
}

const wallClock: Clock = { nowMs: () => Date.now(), monoMs: () => performance.now() }
const mathRandom: Random = { float: () => Math.random(), int: n => Math.floor(Math.random() * n) }

export class Daemon {
  private readonly init: DaemonInit
  private readonly log: Logger
  private readonly onFatal: (err: Error) => void
  private readonly onBlobServed: ((bytes: number) => void) | undefined
  private store: LevelStore | undefined
  private queue: CommitQueue | undefined
  private mesh: Mesh | undefined
  private gossip: AddressGossip | undefined
  private running: Running | undefined
  private switching = false
  private apiUrl = ''
  private joinServer: JoinServer | undefined
  private blobService: BlobService | undefined
  private ticker: Ticker | undefined
  private api: ApiServer | undefined
  private faults: LinkFaults | undefined
  private vis: VisibilityHub | undefined
  private stopping: Promise<void> | undefined

  constructor (init: DaemonInit, components: DaemonComponents) {
    this.init = init
    this.log = components.log
    this.onFatal = components.onFatal
    this.onBlobServed = components.onBlobServed
  }

  async start (): Promise<ReadyInfo> {
    const { dir, config } = this.init
    const invite: SignedInvite | undefined = this.init.join === undefined ? undefined : parseJoinToken(this.init.join)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const privateKey = await loadOrCreateIdentity(dir)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const log = this.log.child({ peer: peerId.slice(-8) })

    const store = new LevelStore({ location: `${dir}/store` }, { decodeEvent })
    await store.open()
    this.store = store
    const federation = await settleFederation(store, peerId, invite)
    if (invite !== undefined && federation.pending) precheckToken(invite, ed25519Verifier(), Date.now())
    const blobs = new BlobStore({ dir, maxBlobBytes: config.maxBlobBytes })
    await blobs.start()
    const base: Base = { peerId, privateKey, store, blobs, log, startedAtMs: Date.now() }
    const running = await this.runFederation(base, federation, invite === undefined ? undefined : { invite })

    const facade = new NodeFacade({
      current: () => this.current(),
      join: async (token, via) => await this.switchFederation(base, token, via)
    })
    const api = new ApiServer({ dir, port: config.apiPort }, {
      routes: localApiRoutes({ node: facade, blobs: () => this.current().blobParts(), visibility: () => this.vis }),
      log
    })
    await api.start()
    this.api = api
    this.apiUrl = api.url
    const ready: ReadyInfo = { peerId, federation: federation.id, founded: federation.founded, listen: running.mesh.listenAddrs(), api: api.url, dir }
    log.info('ready', { ...ready })
    return ready
  }

  /**
   * Everything that belongs to one federation: the core, its membership gate,
   * the mesh, the join server, the ticker, the local API's operations. Started
   * once, and again when a running node that is still alone joins another
   * federation (`mycel join`).
   */
  private async runFederation (base: Base, federation: Settled, join?: { invite: SignedInvite, via?: string[], reply?: JoinReply }): Promise<Running> {
    const { peerId, privateKey, store, blobs, log } = base
    const snapshot = await store.loadSnapshot()
    log.info('store opened', { events: snapshot.events.length, authors: snapshot.vv.length, federation: federation.id })
    const gate: FederationGate = new FederationGate({ members: () => core.replica.members(), log })
    const core = this.buildCore(peerId, privateKey, store, snapshot, federation.genesis, gate, log)
    // Visibility (watch, webhooks, where, metrics, the page) belongs to this federation's replica.
    const vis = new VisibilityHub({ selfId: peerId, webhooks: this.init.config.webhooks }, { log, replica: core.replica, mesh: () => this.mesh, blobs })
    this.vis = vis
    vis.start()
    const mesh = await this.startMesh(privateKey, federation.id, core, snapshot, gate, log)
    // Blob transfer: same membership gate as sync; revoked peers' blob streams end with their sessions.
    const config = this.init.config
    const blobService = new BlobService({
      chunkBytes: config.blobChunkBytes,
      policy: new ReplicationPolicy(config.replicate, config.replicatePrefixes),
      graceMs: config.blobGraceMs,
      maxUploadBytesPerSec: config.maxUploadBytesPerSec,
      ...blobTestSwitches(process.env)
    }, {
      libp2p: mesh.libp2p,
      blobs,
      replica: core.replica,
      connectedPeers: () => mesh.connectedPeers(),
      log,
      events: {
        stored: (target, keys, progress, ms) => {
          for (const key of keys) vis.available(key, target.digest, target.size)
          if (progress !== undefined) vis.countBytes('blob', 'in', progress.bytesReceived)
          vis.observeFetch(ms / 1000, 'ok')
        },
        failed: (_target, ms) => { vis.observeFetch(ms / 1000, 'failed') },
        badChunks: (peer, count) => { mesh.strike(peer, `${count} bad blob chunk(s)`) },
        served: bytes => { vis.countBytes('blob', 'out', bytes); this.onBlobServed?.(bytes) }
      }
    })
    // The test-only link-fault hook cuts blob streams too, as a real partition would.
    blobService.isAllowed = peer => gate.isAllowed(peer) && (this.faults?.allows(peer) ?? true)
    vis.setHoldings(new BlobHoldings(blobService, peerId))
    this.blobService = blobService // before start: puts applied while it loads are not missed
    await blobService.start()
    this.joinServer = await startJoinServer(mesh, {
      replica: core.replica,
      whenDurable: async n => { await core.queue.whenDurable(n) },
      poke: () => { core.ticker.poke() }
    }, log)
    core.ticker.start()
    this.ticker = core.ticker
    if (join !== undefined) await joinVia({ mesh, gate, store, log }, join.invite, federation, join.via ?? this.init.via, join.reply)

    const node: LocalNode = new LocalNode({ peerId, federation: federation.id, dir: this.init.dir, version: this.init.version, startedAtMs: base.startedAtMs, apiUrl: () => this.apiUrl }, {
      ...core,
      blobs,
      blobService,
      mesh,
      poke: () => { core.ticker.poke() },
      extraStats: () => ({ join: { ...this.joinServer?.stats }, gate: { ...gate.stats }, remoteApplied: core.timing.snapshot() }),
      federation: new FederationOps({
        selfId: peerId,
        members: () => core.replica.members(),
        signer: ed25519Signer(privateKey),
        nowMs: () => Date.now(),
        listenAddrs: () => mesh.listenAddrs(),
        writeDurably: async body => await node.writeDurably(body)
      })
    })
    const running: Running = { node, mesh, core, federation }
    this.running = running
    return running
  }

  private current (): LocalNode {
    if (this.running === undefined) throw new MycelError('UNAVAILABLE', 'the node is starting')
    return this.running.node
  }

  /**
   * `mycel join TOKEN` on a running node. Allowed while the node is alone in
   * the federation it founded and holds no keys (nothing to lose): the token is
   * presented over the live libp2p node first, so a refusal changes nothing;
   * once admitted, the old federation's parts stop, its (empty) replica state
   * is cleared, the new genesis is stored, and the parts start again in the
   * new federation. Already in the token's federation: nothing to do.
   */
  private async switchFederation (base: Base, tokenText: string, via: string[]): Promise<JoinResult> {
    if (this.switching) throw new MycelError('UNAVAILABLE', 'a join is already in progress')
    const invite = parseJoinToken(tokenText)
    const cur = this.running
    if (cur === undefined) throw new MycelError('UNAVAILABLE', 'the node is starting')
    if (invite.token.federation === cur.federation.id) {
      return { federation: cur.federation.id, role: cur.node.status().role, member: null, switched: false }
    }
    const m = cur.core.replica.members()
    const { keys, tombstones } = cur.core.replica.counts()
    const alone = m !== undefined && m.list().every(e => e.peer === base.peerId) && keys === 0 && tombstones === 0
    if (!alone) {
      throw MycelError.usage(`this node already belongs to federation ${cur.federation.id}, with other members or keys; to join another, run \`mycel daemon --join TOKEN\` on an empty --dir`)
    }
    precheckToken(invite, ed25519Verifier(), Date.now())
    this.switching = true
    try {
      const reply = await presentToken(cur.mesh.libp2p, invite, via)
      base.log.info('leaving our own empty federation for the one that admitted us', { from: cur.federation.id, to: invite.token.federation })
      await this.stopFederation()
      await base.store.resetReplicaState()
      const next: Settled = { genesis: invite.token.genesis, id: invite.token.federation, founded: false, pending: false }
      await base.store.setGenesis(next.genesis, next.id)
      await this.runFederation(base, next, { invite, via, reply })
      return { federation: next.id, role: invite.token.role, member: reply.member, switched: true }
    } finally {
      this.switching = false
    }
  }

  /** Stops what runFederation started, in reverse, waiting for queued writes. */
  private async stopFederation (): Promise<void> {
    await this.vis?.stop()
    await this.blobService?.stop()
    this.ticker?.stop()
    await this.joinServer?.stop()
    await this.mesh?.stop()
    await this.queue?.flush()
  }

  /**
   * The replica and what drives it: the commit queue between it and the
   * store, the ticker for its timers, the lag tracker beside it. Built before
   * the mesh (whose handlers feed it); its sends before the mesh exists are
   * dropped, which the core tolerates.
   */
  private buildCore (peerId: string, privateKey: PrivateKey, store: LevelStore, snapshot: ReplicaSnapshot, genesis: Genesis, gate: FederationGate, log: Logger): Core {
    const ticker = new Ticker({ maxDelayMs: TICK_DELAY_MS_MAX }, {
      tick: () => replica.tick(),
      monoMs: wallClock.monoMs,
      onError: err => { log.error('replica tick failed', { err }) }
    })
    const timing = new ApplyTiming()
    const queue = new CommitQueue({
      write: async batches => { await store.write(batches) },
      markDurable: n => { replica.markDurable(n); ticker.poke() },
      onFatal: err => { this.fatal(err) }
    })
    this.queue = queue
    const replica: Replica = new Replica({ id: peerId, antiEntropyIntervalMs: this.init.config.antiEntropyIntervalMs, genesis }, {
      clock: wallClock,
      random: mathRandom,
      signer: ed25519Signer(privateKey),
      verifier: ed25519Verifier(),
      send: (to, msg) => { this.mesh?.send(to, msg) },
      persist: batch => { queue.persist(batch) },
      observer: {
        applied: (event, _prev, local) => {
          // Guarded: the fields object alone costs, and a catch-up applies 100 000 events in a row.
          if (log.enabled('debug')) log.debug('applied', { key: event.body.key, kind: event.body.kind, author: event.author, seq: event.seq, local })
          if (!local) timing.remote()
          this.gossip?.learn(event)
          this.blobService?.applied(event, _prev, local)
          this.vis?.applied(event, local)
          gate.noteEvent(event)
        },
        removed: event => { gate.noteEvent(event) },
        rejected: (event, from, reason) => {
          log.warn('event rejected', { from, reason, author: event?.author, seq: event?.seq })
          gate.rejected(event, from, reason)
        }
      }
    }, snapshot)
    const lag = new PeerLagTracker({ ourDigest: () => replica.digest(), ourVv: () => replica.versionVector() })
    return { replica, queue, ticker, lag, timing }
  }

  private async startMesh (privateKey: PrivateKey, federation: string, core: Core, snapshot: ReplicaSnapshot, gate: FederationGate, log: Logger): Promise<Mesh> {
    const { replica, queue, ticker, lag } = core
    const { config, dir } = this.init
    // Test hook (off unless MYCEL_TEST_LINK_FAULTS is set): the chaos harness cuts links through it.
    const faults = LinkFaults.fromEnv(process.env, { log, changed: () => { this.mesh?.revalidate() } })
    this.faults = faults
    await faults?.start()
    const mesh = await createMesh({ privateKey, federation, listen: config.listen, dir, maxPeers: config.maxPeers, log: log.fn() }, {
      receive: async (from: string, msg: SyncMessage) => {
        lag.note(from, msg)
        this.vis?.note(from, msg)
        replica.receive(from, msg)
        ticker.poke()
        // Backpressure: the mesh reads this peer's next frame only once this resolves.
        if (queue.backlog > MAX_PERSIST_BACKLOG_EVENTS) await queue.whenDurable(replica.lastBatchNumber())
      },
      peerUp: (peer: string) => { log.info('peer up', { remote: peer }); replica.peerUp(peer); ticker.poke() },
      peerDown: (peer: string) => { log.info('peer down', { remote: peer }); replica.peerDown(peer); lag.forget(peer) },
      // Membership first; the test-only link-fault hook (MYCEL_TEST_LINK_FAULTS) can only narrow it.
      isAllowed: (peer: string) => gate.isAllowed(peer) && (faults?.allows(peer) ?? true)
    })
    this.mesh = mesh
    const gossip = new AddressGossip(replica.id, { replica, mesh, log })
    gate.attach({
      revalidate: () => { mesh.revalidate() },
      strike: (peer, why) => { mesh.strike(peer, why) },
      // A joiner can announce its addresses only once it has seen its own grant.
      changed: () => { gossip.announce() }
    })
    gossip.learnAll(snapshot.events)
    this.gossip = gossip
    await mesh.start()
    gossip.announce()
    return mesh
  }

  private fatal (err: Error): void {
    this.log.error('store failure: stopping', { err })
    this.stop().catch(() => {}).finally(() => { this.onFatal(err) })
  }

  /** Idempotent; each part is stopped even if an earlier one fails. */
  async stop (): Promise<void> {
    this.stopping ??= this.doStop()
    await this.stopping
  }

  private async doStop (): Promise<void> {
    const steps: Array<[string, () => Promise<void> | void]> = [
      ['visibility', async () => { await this.vis?.stop() }],
      ['api', async () => { await this.api?.stop() }],
      ['ticker', () => { this.ticker?.stop(); this.faults?.stop() }],
      ['blobs', async () => { await this.blobService?.stop() }],
      ['join', async () => { await this.joinServer?.stop() }],
      ['mesh', async () => { await this.mesh?.stop() }],
      ['queue', async () => { await this.queue?.flush() }],
      ['store', async () => { await this.store?.close() }]
    ]
    for (const [name, step] of steps) {
      try {
        await step()
      } catch (err) {
        this.log.warn(`stopping ${name} failed`, { err, code: isMycelError(err) ? err.code : undefined })
      }
    }
    this.log.info('stopped')
  }
}
