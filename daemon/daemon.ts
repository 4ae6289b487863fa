// The daemon: composes the parts and owns their lifecycle.
//
//   LevelStore ◄── CommitQueue ◄── persist ── Replica (protocol/) ── send ──► Mesh (daemon/net/, libp2p)
//        ▲              │ markDurable ─────────►  ▲   ▲                          │ receive / peerUp / peerDown
//        │              └ whenDurable ◄── LocalNode (NodeApi) ◄── ApiServer (HTTP on 127.0.0.1) ◄── CLI
//   loadSnapshot at start                        Ticker (one timer drives replica.tick)
//
// Start order: data dir → identity → store (federation, snapshot) → blobs →
// replica → mesh → join → ticker → API (api.json last: when it exists, the
// node is ready). Stop runs it backwards and waits for queued writes, so a
// clean stop loses nothing; a crash loses nothing acknowledged either (every
// acknowledged write was in a fsynced LevelDB batch).

import { mkdir } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeEvent } from '../protocol/codec.js'
import { isMycelError } from '../protocol/errors.js'
import { Replica } from '../protocol/replica.js'
import type { Clock, Random } from '../protocol/ports.js'
import type { SyncMessage } from '../protocol/messages.js'
import type { ReplicaSnapshot } from '../protocol/replica-api.js'
import { AddressGossip } from './address-gossip.js'
import { ApiServer } from './api/server.js'
import { BlobStore } from './blob-store.js'
import { ReplicationPolicy } from './blob/policy.js'
import { BlobService } from './blob/service.js'
import { blobTestSwitches } from './blob/test-switches.js'
import type { DaemonConfig } from './config.js'
import { settleFederation } from './federation.js'
import { decodeInvite, type InviteToken } from './invite-token.js'
import { MAX_PERSIST_BACKLOG_EVENTS, TICK_DELAY_MS_MAX } from './limits.js'
import type { Logger } from './log.js'
import { createMesh, type Mesh } from './net/mesh.js'
import { loadOrCreateIdentity } from './net/identity.js'
import { LocalNode } from './node-api.js'
import { PeerLagTracker } from './peer-lag.js'
import { ed25519Signer, ed25519Verifier } from './signing.js'
import { CommitQueue } from './store/commit-queue.js'
import { LevelStore } from './store/level-store.js'
import { Ticker } from './ticker.js'
import { LinkFaults } from './link-faults.js'
import { VisibilityHub } from './visibility/hub.js'
import { StatusPage, visibilityRoute } from './visibility/routes.js'

export interface DaemonInit {
  dir: string
  config: DaemonConfig
  /** An invite token from `--join`. */
  join?: string
  version: string
}

export interface DaemonComponents {
  log: Logger
  /** The store failed: the process must stop (the daemon has already begun stopping). */
  onFatal: (err: Error) => void
}

export interface ReadyInfo {
  peerId: string
  federation: string
  founded: boolean
  listen: string[]
  api: string
  dir: string
}

interface Core {
  replica: Replica
  queue: CommitQueue
  ticker: Ticker
  lag: PeerLagTracker
}

const wallClock: Clock = { nowMs: () => Date.now(), monoMs: () => performance.now() }
const mathRandom: Random = { float: () => Math.random(), int: n => Math.floor(Math.random() * n) }

export class Daemon {
  private readonly init: DaemonInit
  private readonly log: Logger
  private readonly onFatal: (err: Error) => void
  private store: LevelStore | undefined
  private queue: CommitQueue | undefined
  private mesh: Mesh | undefined
  private gossip: AddressGossip | undefined
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
  }

  async start (): Promise<ReadyInfo> {
    const { dir, config } = this.init
    const invite: InviteToken | undefined = this.init.join === undefined ? undefined : decodeInvite(this.init.join)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const privateKey = await loadOrCreateIdentity(dir)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const log = this.log.child({ peer: peerId.slice(-8) })

    const store = new LevelStore({ location: `${dir}/store` }, { decodeEvent })
    await store.open()
    this.store = store
    const federation = await settleFederation(store, invite)
    const blobs = new BlobStore({ dir, maxBlobBytes: config.maxBlobBytes })
    await blobs.start()
    const snapshot = await store.loadSnapshot()
    log.info('store opened', { events: snapshot.events.length, authors: snapshot.vv.length, federation: federation.id })

    const core = this.buildCore(peerId, privateKey, store, snapshot, log)
    const vis = new VisibilityHub({ selfId: peerId, webhooks: config.webhooks }, { log, replica: core.replica, mesh: () => this.mesh, blobs })
    this.vis = vis
    vis.start()
    const mesh = await this.startMesh(privateKey, federation.id, core, snapshot, log)
    const blobService = new BlobService({
      chunkBytes: config.blobChunkBytes,
      policy: new ReplicationPolicy(config.replicate, config.replicatePrefixes),
      graceMs: config.blobGraceMs,
      ...blobTestSwitches(process.env)
    }, { libp2p: mesh.libp2p, blobs, replica: core.replica, connectedPeers: () => mesh.connectedPeers(), log })
    this.blobService = blobService // before start: puts applied while it loads are not missed
    await blobService.start()
    if (invite !== undefined) await this.joinVia(mesh, invite, log)
    core.ticker.start()
    this.ticker = core.ticker

    let apiUrl = ''
    const node = new LocalNode({ peerId, federation: federation.id, dir, version: this.init.version, startedAtMs: Date.now(), apiUrl: () => apiUrl }, {
      ...core,
      blobs,
      blobService,
      mesh,
      poke: () => { core.ticker.poke() }
    })
    const page = new StatusPage()
    const api = new ApiServer({ dir, port: config.apiPort }, {
      api: node,
      log,
      extra: { publicRoute: async (req, res) => await page.serve(req, res), route: async (req, res) => await visibilityRoute(vis, req, res) }
    })
    await api.start()
    this.api = api
    apiUrl = api.url
    const ready: ReadyInfo = { peerId, federation: federation.id, founded: federation.founded, listen: mesh.listenAddrs(), api: api.url, dir }
    log.info('ready', { ...ready })
    return ready
  }

  /**
   * The replica and what drives it: the commit queue between it and the
   * store, the ticker for its timers, the lag tracker beside it. Built before
   * the mesh (whose handlers feed it); its sends before the mesh exists are
   * dropped, which the core tolerates.
   */
  private buildCore (peerId: string, privateKey: PrivateKey, store: LevelStore, snapshot: ReplicaSnapshot, log: Logger): Core {
    const ticker = new Ticker({ maxDelayMs: TICK_DELAY_MS_MAX }, {
      tick: () => replica.tick(),
      monoMs: wallClock.monoMs,
      onError: err => { log.error('replica tick failed', { err }) }
    })
    const queue = new CommitQueue({
      write: async batches => { await store.write(batches) },
      markDurable: n => { replica.markDurable(n); ticker.poke() },
      onFatal: err => { this.fatal(err) }
    })
    this.queue = queue
    const replica: Replica = new Replica({ id: peerId, antiEntropyIntervalMs: this.init.config.antiEntropyIntervalMs }, {
      clock: wallClock,
      random: mathRandom,
      signer: ed25519Signer(privateKey),
      verifier: ed25519Verifier(),
      send: (to, msg) => { this.mesh?.send(to, msg) },
      persist: batch => { queue.persist(batch) },
      observer: {
        applied: (event, _prev, local) => {
          log.debug('applied', { key: event.body.key, kind: event.body.kind, author: event.author, seq: event.seq, local })
          this.gossip?.learn(event)
          this.blobService?.applied(event, _prev, local)
          this.vis?.applied(event, local)
        },
        rejected: (event, from, reason) => { log.warn('event rejected', { from, reason, author: event?.author, seq: event?.seq }) }
      }
    }, snapshot)
    const lag = new PeerLagTracker({ ourDigest: () => replica.digest(), ourVv: () => replica.versionVector() })
    return { replica, queue, ticker, lag }
  }

  private async startMesh (privateKey: PrivateKey, federation: string, core: Core, snapshot: ReplicaSnapshot, log: Logger): Promise<Mesh> {
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
      isAllowed: (peer: string) => faults?.allows(peer) ?? true
    })
    this.mesh = mesh
    const gossip = new AddressGossip(replica.id, { replica, mesh, log })
    gossip.learnAll(snapshot.events)
    this.gossip = gossip
    await mesh.start()
    gossip.announce()
    return mesh
  }

  /** Remembers the inviter and dials it once; if that fails the mesh keeps redialing with backoff. */
  private async joinVia (mesh: Mesh, invite: InviteToken, log: Logger): Promise<void> {
    mesh.addPeer(invite.peer, invite.addrs)
    for (const addr of invite.addrs) {
      try {
        await mesh.dial(`${addr}/p2p/${invite.peer}`)
        log.info('joined via inviter', { inviter: invite.peer, addr })
        return
      } catch (err) {
        log.warn('could not dial inviter address', { addr, err })
      }
    }
    log.warn('inviter unreachable for now; will keep trying', { inviter: invite.peer })
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
