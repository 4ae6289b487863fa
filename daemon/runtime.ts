// Everything of one federation, built and started together, stopped together:
//
//   LevelStore ◄── commit ── ReplicaHost (protocol/driver.ts: group commit, one tick timer) ◄── receive / peerUp / peerDown ── Mesh (net/)
//       │ durable ──► DurableWaits       │ wraps                                                      ▲ send
//       │             └ whenDurable ◄────┼── LocalNode (api/local-node.ts) ◄── the API server          │
//                                        Replica (protocol/) ──────────────────────────────────────────┘
//                                          └── observer: AddressGossip, BlobService, VisibilityHub, FederationGate
//
//   Host (net/host.ts): the libp2p node of sync, blob and join; its gate is FederationGate.isAllowed
//     (narrowed by the test-only link faults). BlobService serves and fetches blobs over it, JoinServer
//     admits token holders; FederationGate revalidates sessions when membership changes.
//
// Start order (each part's stop runs backwards, lifecycle.ts): durable waits → visibility → link faults
// → mesh (and host) → blobs → join server → replica ticks → the join itself (a joiner presents its token).
// Inputs before the ticks start reach the replica untouched, and are covered by the first tick.
// The daemon (daemon.ts) builds one at start, and a new one when a node alone in its own federation
// joins another (`mycel join`).

import type { PrivateKey } from '@libp2p/interface'
import { decodeEvent } from '../protocol/codec.js'
import { ReplicaHost } from '../protocol/driver.js'
import type { Genesis, SignedInvite } from '../protocol/invite.js'
import type { SyncMessage } from '../protocol/messages.js'
import { Replica } from '../protocol/replica.js'
import type { ReplicaSnapshot } from '../protocol/replica-api.js'
import { LocalNode } from './api/local-node.js'
import { BlobService } from './blob/service.js'
import type { BlobStore } from './blob/store.js'
import type { BlobMoved } from './blob/types.js'
import { relayServes, type DaemonConfig } from './config.js'
import { MycelError } from '../protocol/errors.js'
import { AddressGossip } from './federation/address-gossip.js'
import { SiteDirectory } from './federation/site-directory.js'
import { FederationGate } from './federation/gate.js'
import type { JoinReply } from './federation/join/client.js'
import { joinServer, joinVia } from './federation/join/joining.js'
import { FederationOps } from './federation/ops.js'
import type { Settled } from './federation/settle.js'
import { onStart, onStop, startAll, stopAll, type Part } from './lifecycle.js'
import { MAX_EVENTS_PER_WRITE, MAX_PERSIST_BACKLOG_EVENTS, TICK_DELAY_MS_MAX } from './limits.js'
import type { Logger } from './log.js'
import { OffenderLog } from './log-limit.js'
import { LoopBudget } from './loop-budget.js'
import { createHost, type Host } from './net/host.js'
import { createMesh, type Mesh } from './net/mesh.js'
import { ed25519InviteKeys } from './federation/invite-keys.js'
import { ed25519Signer, ed25519Verifier } from './signing.js'
import { DurableWaits } from './store/durable-waits.js'
import { fullGc } from './full-gc.js'
import { StoredEventReader } from './store/event-reader.js'
import type { LevelStore } from './store/level-store.js'
import { LinkFaults } from './testing/link-faults.js'
import type { TestSwitches } from './testing/switches.js'
import { REAL_CLOCK, REAL_RANDOM, REAL_TIMERS } from './time.js'
import { applyConfiguredRules } from './runtime/configured-rules.js'
import { siteReports } from './runtime/site-reports.js'
import { blobService } from './runtime/blob-service.js'
import { ownSite } from './runtime/own-site.js'
import { ApplyTiming } from './visibility/apply-timing.js'
import { defineAbuseMetrics } from './visibility/abuse-metrics.js'
import { defineQuotaMetrics } from './visibility/quota-metrics.js'
import { BlobHoldings } from './visibility/blob-holdings.js'
import { VisibilityHub } from './visibility/hub.js'
import { LoopDelay } from './visibility/loop-delay.js'
import { ShedLedger } from './visibility/shedding.js'
import { LevelDeliveryStorage } from './visibility/webhooks/level-storage.js'
import { PeerLagTracker } from './visibility/peer-lag.js'
import { RetentionService } from './retention/service.js'

export interface RuntimeInit {
  dir: string
  config: DaemonConfig
  version: string
  federation: Settled
  /** A join to carry out once the parts run: `--join` (reply absent), or `mycel join` (already admitted). */
  join?: { invite: SignedInvite, via?: string[], reply?: JoinReply }
  switches: TestSwitches
  startedAtMs: number
}

/** What outlives a switch of federation: the node's identity, store and blobs, and the daemon's hooks. */
export interface RuntimeComponents {
  peerId: string
  privateKey: PrivateKey
  store: LevelStore
  blobs: BlobStore
  log: Logger
  apiUrl: () => string
  /** The store failed: the daemon must stop. */
  onFatal: (err: Error) => void
  onBlobMoved?: BlobMoved
  /** A burst of input was taken (shed at a bound, a large message): the process may settle its memory. */
  onBurst?: () => void
}

interface Core {
  /** Every input goes through it (it ticks the replica after each, and commits its batches). */
  driver: ReplicaHost<Replica>
  /** The replica itself, for reads. */
  replica: Replica
  waits: DurableWaits
  /** What was shed at a bound, and whose (status, metrics). */
  shed: ShedLedger
  /** Lines peers cause, per offender per interval. */
  offenders: OffenderLog
  lag: PeerLagTracker
  timing: ApplyTiming
  /** Where cooled events are read back from (coolDurable). */
  reader: StoredEventReader
}

/** Parts the core reaches (its sends, its observer) that are built after it. */
interface Wired {
  mesh?: Mesh
  gossip?: AddressGossip
  sites?: SiteDirectory
  blob?: BlobService
  vis?: VisibilityHub
}


export class Runtime {
  readonly federation: Settled
  readonly node: LocalNode
  readonly host: Host
  readonly replica: Replica
  readonly blob: BlobService
  readonly vis: VisibilityHub
  readonly retention: RetentionService
  private readonly parts: Part[]
  private readonly log: Logger
  private stopping: Promise<void> | undefined

  private constructor (fields: { federation: Settled, node: LocalNode, host: Host, replica: Replica, blob: BlobService, vis: VisibilityHub, retention: RetentionService, parts: Part[], log: Logger }) {
    this.federation = fields.federation
    this.node = fields.node
    this.host = fields.host
    this.replica = fields.replica
    this.blob = fields.blob
    this.vis = fields.vis
    this.retention = fields.retention
    this.parts = fields.parts
    this.log = fields.log
  }

  /** Builds every part of the federation, then starts them in order (a failure stops those started and rethrows). */
  static async start (init: RuntimeInit, c: RuntimeComponents): Promise<Runtime> {
    const { peerId, privateKey, store, blobs, log } = c
    const { config, federation } = init
    const snapshot = await store.loadSnapshot()
    log.info('store opened', { events: snapshot.events.length, authors: snapshot.vv.length, federation: federation.id })
    const wired: Wired = {}
    const gate: FederationGate = new FederationGate({ members: () => core.replica.members(), log })
    const core = buildCore({ peerId, privateKey, genesis: federation.genesis, antiEntropyIntervalMs: config.antiEntropyIntervalMs }, { store, snapshot, gate, wired, log, onFatal: c.onFatal, onBurst: c.onBurst })
    const { driver, replica, waits, lag, shed, offenders, reader } = core
    // One budget for every piece of sliced work: a large message decoded (mesh) and taken (core) in slices.
    const loop = new LoopBudget()
    const loopDelay = new LoopDelay()

    // Visibility (watch, webhooks, where, metrics, the page) belongs to this federation's replica.
    // Webhook deliveries are kept in the store's own key space, so they outlive a restart (and a federation switch).
    // Their bodies name this site as the site directory settled it (its own record once applied), else as configured.
    const vis = new VisibilityHub({
      selfId: peerId,
      webhooks: config.webhooks,
      siteHealth: {
        ...(config.siteDownAfterMs === undefined ? {} : { downAfterMs: config.siteDownAfterMs }),
        ...(config.siteBehindMs === undefined ? {} : { behindMs: config.siteBehindMs }),
        ...(config.siteBehindEvents === undefined ? {} : { behindEvents: config.siteBehindEvents })
      }
    }, {
      log, replica, mesh: () => wired.mesh, blobs, siteName: () => wired.sites?.nameOf(peerId) ?? ownSite(config).name, webhookStorage: new LevelDeliveryStorage(store.space('webhooks')),
      // A full webhook queue is shed like the peers' queues (status stats.shed, mycel_shed_total); no peer is its offender.
      onWebhookDropped: (_index, n) => { shed.note('webhook-queue', '', n) }
    })
    wired.vis = vis
    // Test hook (off unless MYCEL_TEST_LINK_FAULTS is set): the chaos harness cuts links through it.
    const faultsFile = init.switches.linkFaultsFile
    const faults = faultsFile === undefined ? undefined : new LinkFaults({ file: faultsFile }, { log, changed: () => { wired.mesh?.revalidate() } })
    // Membership first; the test-only link faults can only narrow it. Sync, blob and join share the host.
    const strangers = { maxStrangers: config.maxStrangerConnections, maxStrangersPerIp: config.maxStrangerConnectionsPerIp, strangerDeadlineMs: config.strangerDeadlineMs }
    const host = await createHost({ privateKey, listen: config.listen, maxPeers: config.maxPeers, log, limits: strangers, relay: relayServes(config) }, {
      isAllowed: peer => gate.isAllowed(peer) && (faults?.allows(peer) ?? true),
      strangerShed: (peer, why, ip) => {
        const offender = peer === '' ? ip : peer
        shed.note('stranger-connections', offender)
        offenders.write('info', 'stranger connection closed', offender, { peer: peer === '' ? undefined : peer, ip, why }, why)
      }
    })
    const mesh: Mesh = await createMesh({ privateKey, federation: federation.id, listen: config.listen, dir: init.dir, maxPeers: config.maxPeers, log, loop, offenderLog: offenders }, {
      receive: async (from: string, msg: SyncMessage) => {
        lag.note(from, msg)
        vis.note(from, msg)
        // A large message is taken a slice at a time, the event loop given way between slices; a
        // peer cut off meanwhile (banned for what the first slices held) loses the rest of it.
        for (const _ of driver.receiveSteps(from, msg)) {
          await loop.pace()
          if (!mesh.isUp(from) || host.guard.isBanned(from)) break
        }
        if (eventBytes(msg) >= LARGE_INPUT_BYTES) c.onBurst?.()
        // Backpressure: the mesh reads this peer's next frame only once this resolves.
        if (driver.backlog > MAX_PERSIST_BACKLOG_EVENTS) await waits.whenDurable(driver.lastBatchNumber())
      },
      sendQueueFull: (peer: string) => { shed.note('send-queue', peer) },
      peerUp: (peer: string) => { log.info('peer up', { remote: peer }); driver.peerUp(peer) },
      peerDown: (peer: string) => { log.info('peer down', { remote: peer }); driver.peerDown(peer); lag.forget(peer) }
    }, host)
    wired.mesh = mesh
    const gossip = new AddressGossip(replica.id, { replica: driver, mesh, log })
    const sites = new SiteDirectory(replica.id, ownSite(config), { replica: driver, log })
    sites.learnAll(snapshot.events)
    const taken = sites.holderOf(ownSite(config).name)
    if (taken !== undefined && ownSite(config).explicit) throw MycelError.usage(`the site name '${ownSite(config).name}' is taken by member ${taken}; choose another with --name (or config "name")`)
    gate.attach({
      revalidate: () => { mesh.revalidate() },
      strike: (peer, why) => { mesh.strike(peer, why) },
      // A joiner can announce its addresses and site record only once it has seen its own grant, and
      // a relayed one can hold a reservation on a member only once the member knows it (host.ts nudgeRelay).
      changed: () => { gossip.announce(); sites.announce(); host.nudgeRelay() }
    })
    gossip.learnAll(snapshot.events)
    wired.gossip = gossip
    const announceAddrs = (): void => { gossip.announce() }
    wired.sites = sites

    const blob = blobService(init, c, { host, replica, mesh, vis, sites })
    vis.setHoldings(new BlobHoldings(blob, peerId))
    vis.setPlacement(key => blob.placementOf(key))
    if (blob.quota !== undefined) defineQuotaMetrics(vis.metrics, () => blob.quotaView())
    wired.blob = blob // its applied() listens from its start on; start loads every live key
    const reports = siteReports({ peerId, privateKey, config, blobs, blob, vis, mesh, host, replica, sites, log })
    vis.setReports(() => reports.all())
    const join = joinServer(host, mesh, { replica: driver, whenDurable: async n => { await waits.whenDurable(n) }, nameHolder: name => sites.peerOf(name) }, log)

    defineAbuseMetrics(vis.metrics, {
      shed,
      loopDelay,
      offenders,
      slots: () => ({ ...host.slotStats() }),
      scrub: () => {
        const { scrub, integrity, server } = blob.stats
        return {
          blobs_checked: scrub.blobsChecked,
          bytes_checked: scrub.bytesChecked,
          damaged_found: integrity.found,
          repaired: integrity.repaired,
          repair_failures: integrity.repairFailures,
          damaged_chunks_refused: server.damagedChunksRefused
        }
      }
    })
    const parts = await startAll([
      // At stop: everything the core persisted is on disk (or the store failed).
      ['durable waits', onStop(async () => { await waits.whenDurable(driver.lastBatchNumber()).catch(() => {}) })],
      ['event-loop monitor', { start: () => { loopDelay.start() }, stop: () => { loopDelay.stop(); offenders.stop() } }],
      ['visibility', vis],
      ...(faults === undefined ? [] : [['link faults', faults] as const]),
      ['mesh', {
        start: async () => {
          await mesh.start()
          gossip.announce()
          sites.announce()
          // Our addresses change when a relay reservation is made or lost (or AutoNAT confirms one): announce them again.
          host.node.addEventListener('self:peer:update', announceAddrs)
        },
        stop: async () => {
          host.node.removeEventListener('self:peer:update', announceAddrs)
          await mesh.stop()
        }
      }],
      ['blobs', blob],
      ['site reports', reports],
      ['join server', join],
      ['replica ticks', { start: () => { driver.start() }, stop: () => { driver.stop() } }],
      ['join', onStart(async () => {
        if (init.join !== undefined) await joinVia({ host, mesh, gate, store, log, name: config.name }, init.join.invite, federation, init.join.via, init.join.reply)
      })]
    ], log)

    // Everything that reads the stored events whole at start (the blob index, sites, gossip) has: the
    // state's puts and deletes let go of their bytes, read back when asked (#25).
    replica.coolDurable(snapshot.events, reader)
    snapshot.events.length = 0 // its list is not needed after start
    // The bytes just let go are most of the heap, and an idle daemon would keep them (full-gc.ts).
    const gcMs = fullGc()
    log.info('cooled the stored events', { events: replica.counts().keys + replica.counts().tombstones, gcMs: gcMs === undefined ? undefined : Math.round(gcMs), heapMib: Math.round(process.memoryUsage().heapUsed / 2 ** 20) })

    vis.setNames(peer => sites.nameOf(peer))
    vis.setSitePolicies((peer, key) => {
      const record = sites.record(peer)
      return record === undefined ? undefined : { mode: sites.modeOf(peer, key), groups: record.groups }
    })
    // Retention deletes go through the node's write path (durable, as `mycel rm`'s); the runner of a
    // rule is chosen among the sites site health calls connected (retention/service.ts).
    const retention = new RetentionService({ intervalMs: config.retentionIntervalMs }, {
      replica: driver,
      durable: async n => { await node.durable(n) },
      sitesUp: () => vis.health.view().filter(v => v.state === 'connected').map(v => v.peerId),
      nameOf: peer => sites.nameOf(peer),
      clock: REAL_CLOCK,
      timers: REAL_TIMERS,
      log
    })
    const node: LocalNode = new LocalNode({ peerId, name: ownSite(config).name, federation: federation.id, dir: init.dir, version: init.version, startedAtMs: init.startedAtMs, apiUrl: c.apiUrl }, {
      replica: driver,
      whenDurable: async n => { await waits.whenDurable(n) },
      lag,
      sites,
      blobs,
      blobService: blob,
      mesh,
      extraStats: () => ({
        join: { ...join.stats },
        gate: { ...gate.stats },
        remoteApplied: core.timing.snapshot(),
        shed: shed.snapshot(),
        connections: host.slotStats(),
        blob: { integrity: blob.stats.integrity, scrub: blob.stats.scrub, damagedChunksRefused: blob.stats.server.damagedChunksRefused, missing: blob.missing, placed: blob.placed },
        logLinesSuppressed: offenders.suppressed,
        eventLoop: loopDelay.snapshot(),
        memory: memoryMib(),
        disk: blob.disk.snapshot(),
        reports: { ...reports.stats },
        retention: retention.stats
      }),
      federation: new FederationOps({
        selfId: peerId,
        members: () => replica.members(),
        signer: ed25519Signer(privateKey),
        nowMs: () => Date.now(),
        listenAddrs: () => mesh.listenAddrs(),
        writeDurably: async body => await node.writeDurably(body),
        keys: ed25519InviteKeys,
        nameOf: peer => sites.nameOf(peer),
        groupsOf: peer => sites.record(peer)?.groups ?? []
      })
    })
    if (config.rules !== undefined) await applyConfiguredRules(node, config.rules, log)
    // Last to start, first to stop: a run in progress finishes its writes while the replica still ticks.
    retention.start()
    parts.push(['retention', retention])
    return new Runtime({ federation, node, host, replica, blob, vis, retention, parts, log })
  }

  /** Stops every part, backwards, waiting for queued writes; idempotent. */
  async stop (): Promise<void> {
    this.stopping ??= stopAll(this.parts, this.log)
    await this.stopping
  }

  /** Alone in the federation it founded, holding no keys: nothing to lose by leaving it. */
  isAlone (): boolean {
    const m = this.replica.members()
    const { keys, tombstones } = this.replica.counts()
    return m !== undefined && m.list().every(e => e.peer === this.replica.id) && keys === 0 && tombstones === 0
  }
}


/**
 * The replica and what drives it: the replica host (protocol/driver.ts) that ticks it after every
 * input and on one timer and group-commits its batches to the store, the waits on durability, the lag
 * tracker beside it. Built before the mesh (whose handlers feed it); its sends before the mesh exists
 * are dropped, which the core tolerates.
 */
function buildCore (
  init: { peerId: string, privateKey: PrivateKey, genesis: Genesis, antiEntropyIntervalMs: number },
  c: { store: LevelStore, snapshot: ReplicaSnapshot, gate: FederationGate, wired: Wired, log: Logger, onFatal: (err: Error) => void, onBurst?: () => void }
): Core {
  const { store, gate, wired, log } = c
  const timing = new ApplyTiming()
  const shed = new ShedLedger(c.onBurst)
  const offenders = new OffenderLog(log, { onSuppressed: offender => { shed.note('log-lines', offender) } })
  const waits = new DurableWaits()
  const reader = new StoredEventReader((author, seq) => store.eventBytesSync(author, seq), decodeEvent)
  const driver: ReplicaHost<Replica> = new ReplicaHost({
    // A burst of received frames costs one tick, and no tick runs inside a callback of the core.
    tickAfterInput: 'soon',
    tickDelayMsMax: TICK_DELAY_MS_MAX,
    maxEventsPerCommit: MAX_EVENTS_PER_WRITE
  }, {
    timers: REAL_TIMERS,
    store: {
      commit: (batches, done) => {
        store.write(batches).then(() => {
          // On disk now: the state's puts and deletes let go of their bytes (read back when asked).
          for (const batch of batches) driver.replica.coolDurable(batch.put, reader)
          done()
        }, err => { done(err as Error) })
      }
    },
    durable: n => { driver.markDurable(n); waits.durableThrough(n) },
    failed: err => { c.onFatal(waits.fail(err)) },
    tickFailed: err => { log.error('replica tick failed', { err }) },
    replica: persist => new Replica({ id: init.peerId, antiEntropyIntervalMs: init.antiEntropyIntervalMs, genesis: init.genesis }, {
      clock: REAL_CLOCK,
      random: REAL_RANDOM,
      signer: ed25519Signer(init.privateKey),
      verifier: ed25519Verifier(),
      send: (to, msg) => { wired.mesh?.send(to, msg) },
      persist,
      observer: {
        applied: (event, previous, local) => {
          // Guarded: the fields object alone costs, and a catch-up applies 100 000 events in a row.
          if (log.enabled('debug')) log.debug('applied', { key: event.body.key, kind: event.body.kind, author: event.author, seq: event.seq, local })
          if (!local) timing.remote()
          wired.gossip?.learn(event)
          wired.sites?.learn(event)
          wired.blob?.applied(event, previous, local)
          wired.vis?.applied(event, local, previous)
          gate.noteEvent(event)
        },
        removed: (event, winner) => {
          wired.blob?.removed(event, winner)
          wired.vis?.removed(event, winner)
          gate.noteEvent(event)
        },
        rejected: (event, from, reason) => {
          if (reason.startsWith('stamped more than')) shed.note('too-far-ahead', from)
          offenders.warn('event rejected', from, { from, reason, author: event?.author, seq: event?.seq }, reasonKind(reason))
          gate.rejected(event, from, reason)
        },
        shed: (event, from) => {
          shed.note('held-events', from)
          offenders.warn('held event shed: the hold queue is full and this sender holds the most', from, { from, author: event.author, seq: event.seq })
        }
      }
    }, c.snapshot)
  })
  const replica = driver.replica
  const lag = new PeerLagTracker({ ourDigest: () => replica.digest(), ourVv: () => replica.versionVector() })
  return { driver, replica, waits, lag, timing, shed, offenders, reader }
}

/** A message (or a part of a large push) this heavy counts as a burst of input (memory-settle.ts). */
const LARGE_INPUT_BYTES = 64 * 1024

/** Encoded bytes of a message's events (what a large message weighs). */
function eventBytes (m: SyncMessage): number {
  if (m.type !== 'push' && m.type !== 'events') return 0
  let n = 0
  for (const e of m.events) n += e.bytes.length
  return n
}

/** The process's memory in MiB, as status shows it (rss: what the OS counts; the rest: V8's parts of it). */
function memoryMib (): Record<string, number> {
  const m = process.memoryUsage()
  const mib = (n: number): number => Math.round(n / 1024 / 1024 * 10) / 10
  return { rss: mib(m.rss), heapTotal: mib(m.heapTotal), heapUsed: mib(m.heapUsed), external: mib(m.external), arrayBuffers: mib(m.arrayBuffers) }
}

/** A refusal's reason without its numbers and peer ids, to tally in a log summary. */
function reasonKind (reason: string): string {
  return reason.replace(/12D3Koo\w+/g, 'PEER').replace(/\d+/g, 'N').slice(0, 80)
}

export { ownSite }
