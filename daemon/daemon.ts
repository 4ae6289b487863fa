// The daemon: one node as a process. It owns what outlives a federation — the data dir, the node's
// identity, the store, the blob files and the local API — and runs one federation's parts at a time
// (runtime.ts), built once at start and again when a node alone in its own federation joins another.
//
//   data dir ── identity (net/identity.ts) ── LevelStore (store/) ── BlobStore (blob/store.ts)
//                                                   │
//   Runtime (runtime.ts): replica, mesh, blobs, join, visibility of the current federation
//                                                   ▲ current()
//   ApiServer (api/, HTTP on 127.0.0.1) ── routes ── NodeFacade (outlives a switch) ◄── CLI
//
// Start order: data dir → identity → store (genesis, snapshot) → blobs → the federation's parts
// (a joiner is admitted there) → API (api.json last: when it exists, the node is ready). Stop runs it
// backwards (lifecycle.ts) and waits for queued writes, so a clean stop loses nothing; a crash loses
// nothing acknowledged either (every acknowledged write was in a fsynced LevelDB batch).

import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { decodeEvent } from '../protocol/codec.js'
import { MycelError } from '../protocol/errors.js'
import type { SignedInvite } from '../protocol/invite.js'
import type { JoinResult } from './api/contract.js'
import type { LocalNode } from './api/local-node.js'
import { NodeFacade } from './api/node-facade.js'
import { metricsRoute } from './api/metrics-route.js'
import { MetricsServer } from './api/metrics-server.js'
import { parseListenAddr } from './listen-addr.js'
import { RegistryCredentials } from './registry/credentials.js'
import { SiteRegistry, type RegistryFederationParts } from './registry/site-registry.js'
import { SiteNpm } from './npm/site-npm.js'
import { localApiRoutes } from './api/routes.js'
import { ApiServer } from './api/server.js'
import { BlobStore } from './blob/store.js'
import type { BlobMoved } from './blob/types.js'
import { securePrivateDir } from './data-dir.js'
import type { DaemonConfig } from './config.js'
import { parseJoinToken, precheckToken, presentToken } from './federation/join/joiner.js'
import type { JoinReply } from './federation/join/client.js'
import { settleFederation, type Settled } from './federation/settle.js'
import { onStop, stopAll, type Part } from './lifecycle.js'
import type { Logger } from './log.js'
import { loadOrCreateIdentity } from './net/identity.js'
import { Runtime } from './runtime.js'
import type { ProcessMetrics } from './visibility/process-metrics.js'
import { ed25519Verifier } from './signing.js'
import { LevelStore } from './store/level-store.js'
import { readTestSwitches, type TestSwitches } from './testing/switches.js'

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
  /** Blob chunks moved: served to a member, or received from a holder (the process's heap-growth governor listens). */
  onBlobMoved?: BlobMoved
  /** The process's process_* and nodejs_* metrics, built by the process that runs the daemon; absent: only mycel_*. */
  processMetrics?: ProcessMetrics
  /** A burst of input was taken (hostile or large): the process may settle its memory (memory-settle.ts). */
  onBurst?: () => void
}

export interface ReadyInfo {
  peerId: string
  federation: string
  founded: boolean
  listen: string[]
  api: string
  dir: string
  /** With `metricsListen`: where /metrics is served without the token. */
  metrics?: string
  /** With `registryListen`: where the container registry listens (`http://host:port`). */
  registry?: string
  /** With `npmListen`: where the npm registry listens (`http://host:port`). */
  npm?: string
}

/** What outlives a switch of federation: the node's identity, store and blobs. */
interface Base {
  peerId: string
  privateKey: PrivateKey
  store: LevelStore
  blobs: BlobStore
  log: Logger
  startedAtMs: number
  switches: TestSwitches
}

export class Daemon {
  private readonly init: DaemonInit
  private readonly log: Logger
  private readonly onFatal: (err: Error) => void
  private readonly onBlobMoved: BlobMoved | undefined
  private readonly processMetrics: ProcessMetrics | undefined
  private readonly onBurst: (() => void) | undefined
  /** What has started, in order; stop() runs it backwards. */
  private readonly parts: Part[] = []
  private runtime: Runtime | undefined
  private switching = false
  private apiUrl = ''
  private stopping: Promise<void> | undefined
  private registry: SiteRegistry | undefined
  private npm: SiteNpm | undefined
  /** The users of the container and npm registries, when either is served. */
  private credentials: RegistryCredentials | undefined

  constructor (init: DaemonInit, components: DaemonComponents) {
    this.init = init
    this.log = components.log
    this.onFatal = components.onFatal
    this.onBlobMoved = components.onBlobMoved
    this.processMetrics = components.processMetrics
    this.onBurst = components.onBurst
  }

  async start (): Promise<ReadyInfo> {
    const { dir, config } = this.init
    const switches = readTestSwitches(process.env)
    const invite: SignedInvite | undefined = this.init.join === undefined ? undefined : parseJoinToken(this.init.join)
    // The dir and its secrets private (0700/0600) whatever they were; what was loosened is fixed and said.
    const tightened = await securePrivateDir(dir)
    const privateKey = await loadOrCreateIdentity(dir)
    const peerId = peerIdFromPrivateKey(privateKey).toString()
    const log = this.log.child({ peer: peerId.slice(-8) })
    for (const t of tightened) log.warn('made private: it was readable by other users', { path: t.path, mode: t.to, was: t.from })

    const store = new LevelStore({ location: `${dir}/store` }, { decodeEvent, compacted: info => { log.info('store compacted: removed events dropped from disk', info) }, compactionFailed: info => { log.warn('store compaction failed; it is tried again after the next removals (only disk space is at stake)', info) } })
    await store.open()
    this.parts.push(['store', onStop(async () => { await store.close() })])
    const federation = await settleFederation(store, peerId, invite)
    if (invite !== undefined && federation.pending) precheckToken(invite, ed25519Verifier(), Date.now())
    const blobs = new BlobStore({ dir, maxBlobBytes: config.maxBlobBytes })
    await blobs.start()
    const base: Base = { peerId, privateKey, store, blobs, log, startedAtMs: Date.now(), switches }
    this.parts.push(['federation', onStop(async () => { await this.runtime?.stop() })])
    const runtime = await this.startRuntime(base, federation, invite === undefined ? undefined : { invite })

    const facade = new NodeFacade({
      current: () => this.current(),
      join: async (token, via) => await this.switchFederation(base, token, via)
    })
    // Before the API: its api.json, written last, still means "ready".
    const metrics = await this.startMetricsListener(log)
    const registry = await this.startRegistry(blobs, log)
    const npm = await this.startNpm(blobs, log)
    const api = new ApiServer({ dir, port: config.apiPort }, {
      routes: localApiRoutes({ node: facade, blobs: () => this.current().blobParts(), visibility: () => this.runtime?.vis, retention: () => this.runtime?.retention, processMetrics: this.processMetrics?.render, registry: () => this.credentials === undefined ? undefined : { credentials: this.credentials, url: () => this.registry?.url, npmUrl: () => this.npm?.url } }),
      log
    })
    await api.start()
    this.parts.push(['api', api])
    // Stopped before the API closes its connections: a watcher reads the end of its stream, not a reset.
    this.parts.push(['event streams', onStop(() => { this.runtime?.vis.endStreams() })])
    this.apiUrl = api.url
    const ready: ReadyInfo = { peerId, federation: federation.id, founded: federation.founded, listen: runtime.host.listenAddrs(), api: api.url, dir, ...(metrics === undefined ? {} : { metrics }), ...(registry === undefined ? {} : { registry }), ...(npm === undefined ? {} : { npm }) }
    log.info('ready', { ...ready })
    return ready
  }

  /** With `metricsListen`, /metrics without the token on that address (api/metrics-server.ts); its URL. */
  private async startMetricsListener (log: Logger): Promise<string | undefined> {
    const listen = this.init.config.metricsListen
    if (listen === undefined) return undefined
    const server = new MetricsServer(parseListenAddr(listen, 'metricsListen'), { route: metricsRoute(() => this.runtime?.vis, this.processMetrics?.render, 'public'), log })
    await server.start()
    this.parts.push(['metrics listener', server])
    return server.url
  }

  /** With `registryListen`, this site's container registry (registry/site-registry.ts); its URL. */
  private async startRegistry (blobs: BlobStore, log: Logger): Promise<string | undefined> {
    const listen = this.init.config.registryListen
    if (listen === undefined) return undefined
    const registry = new SiteRegistry({ listen, gcGraceMs: this.init.config.registryGcGraceMs, anonymous: this.init.config.registryAnonymous }, {
      blobs,
      log,
      credentials: await this.registryUsers(),
      federation: () => this.registryParts()
    })
    await registry.start()
    this.registry = registry
    this.parts.push(['registry', registry])
    return registry.url
  }

  /** With `npmListen`, this site's npm registry (npm/site-npm.ts); its URL. */
  private async startNpm (blobs: BlobStore, log: Logger): Promise<string | undefined> {
    const listen = this.init.config.npmListen
    if (listen === undefined) return undefined
    const npm = new SiteNpm({ listen, anonymous: this.init.config.npmAnonymous }, {
      parts: () => ({ ...this.registryParts(), blobs }),
      credentials: await this.registryUsers(),
      log
    })
    await npm.start()
    this.npm = npm
    this.parts.push(['npm registry', npm])
    return npm.url
  }

  /** The registries' users (one file for both), loaded on first use. */
  private async registryUsers (): Promise<RegistryCredentials> {
    if (this.credentials === undefined) {
      const credentials = new RegistryCredentials(this.init.dir)
      await credentials.load()
      this.credentials = credentials
    }
    return this.credentials
  }

  /** The running federation's parts the registries write and read through (they change when the node joins another). */
  private registryParts (): RegistryFederationParts {
    const r = this.runtime
    if (r === undefined) throw new MycelError('UNAVAILABLE', 'the node is starting')
    return { get: key => r.replica.get(key), page: (prefix, after, limit) => r.replica.page(prefix, after, limit), blobService: r.blob, writeDurably: async body => await r.node.writeDurably(body) }
  }

  /** The federation's parts (runtime.ts), started; the API answers through them from then on. */
  private async startRuntime (base: Base, federation: Settled, join?: { invite: SignedInvite, via?: string[], reply?: JoinReply }): Promise<Runtime> {
    const runtime = await Runtime.start({
      dir: this.init.dir,
      config: this.init.config,
      version: this.init.version,
      federation,
      join: join === undefined ? undefined : { ...join, via: join.via ?? this.init.via },
      switches: base.switches,
      startedAtMs: base.startedAtMs
    }, {
      peerId: base.peerId,
      privateKey: base.privateKey,
      store: base.store,
      blobs: base.blobs,
      log: base.log,
      apiUrl: () => this.apiUrl,
      onFatal: err => { this.fatal(err) },
      onBlobMoved: this.onBlobMoved,
      onBurst: this.onBurst
    })
    this.runtime = runtime
    return runtime
  }

  private current (): LocalNode {
    if (this.runtime === undefined) throw new MycelError('UNAVAILABLE', 'the node is starting')
    return this.runtime.node
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
    const cur = this.runtime
    if (cur === undefined) throw new MycelError('UNAVAILABLE', 'the node is starting')
    if (invite.token.federation === cur.federation.id) {
      return { federation: cur.federation.id, role: cur.node.status().role, member: null, switched: false }
    }
    if (!cur.isAlone()) {
      throw MycelError.usage(`this node already belongs to federation ${cur.federation.id}, with other members or keys; to join another, run \`mycel daemon --join TOKEN\` on an empty --dir`)
    }
    precheckToken(invite, ed25519Verifier(), Date.now())
    this.switching = true
    try {
      const reply = await presentToken(cur.host, invite, cur.host.peerId, via, this.init.config.name, base.log)
      base.log.info('leaving our own empty federation for the one that admitted us', { from: cur.federation.id, to: invite.token.federation })
      await cur.stop()
      await base.store.resetReplicaState()
      const next: Settled = { genesis: invite.token.genesis, id: invite.token.federation, founded: false, pending: false }
      await base.store.setGenesis(next.genesis, next.id)
      await this.startRuntime(base, next, { invite, via, reply })
      return { federation: next.id, role: invite.token.role, member: reply.member, switched: true }
    } finally {
      this.switching = false
    }
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
    await stopAll(this.parts, this.log)
    this.log.info('stopped')
  }
}
