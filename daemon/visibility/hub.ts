// The visibility side of a daemon, composed in one place:
//
//   core observer ── applied ──► VisibilityHub ── publish ──► EventBus ──► GET /v1/events (watch, page)
//   blob layer ──── available ─┘      │                         └────────► Webhooks (durable queue, signed POSTs; webhooks/)
//   mesh receive ── note ──────► SyncTracker (coverage, lag, clock offset)
//                                     │
//   where / members / sync / metrics ◄┘  + HoldingsSource (blob layer; LocalHoldings until then)
//
// Nothing here can fail the daemon: publishing never blocks, slow readers are
// dropped, webhook failures are counted.

import { performance } from 'node:perf_hooks'
import type { Event } from '../../protocol/event.js'
import { DEFAULT_MAX_CLOCK_OFFSET_MS } from '../../protocol/hlc.js'
import type { SyncMessage, VersionVectorEntries } from '../../protocol/messages.js'
import type { ReplicaStats } from '../../protocol/replica-api.js'
import { digestText, cidOf } from '../blob/store.js'
import type { Logger } from '../log.js'
import { MetricsRegistry, type Histogram, type Metric, FETCH_SECONDS_BUCKETS } from './metrics.js'
import type { WebhookConfig } from './webhooks/config.js'
import { webhookMetrics } from './webhooks/metrics.js'
import type { DeliveryStorage } from './webhooks/storage.js'
import { Webhooks } from './webhooks/webhooks.js'
import { EventBus } from './bus.js'
import { settle, type SettleAnswer } from './settle.js'
import { conflictOf, draftFromApplied, overwrittenOf, revertedOf, labelsOf, visTypeOf, type VisEvent, type VisEventDraft } from './events.js'
import { LocalHoldings, type HoldingsSource } from './holdings.js'
import { MAX_WHERE_ROWS, OFFSET_WARN_FRACTION } from './limits.js'
import { listMembers, type MembershipView } from './members.js'
import { SyncTracker } from './peer-sync.js'
import type { SitePolicyView, SiteRow, SyncMember, PeerSync, WhereAnswer } from './types.js'
import { where } from './where.js'
import { DEFAULT_SITE_HEALTH, SiteHealth, type SiteHealthSettings } from './site-health.js'
import { defineSiteMetrics } from './site-metrics.js'
import type { SiteReport } from './reports/report.js'

/** How often site health is checked (site-down within downAfterMs + this). */
const HEALTH_CHECK_MS = 1_000

export interface VisibilityInit {
  selfId: string
  webhooks: WebhookConfig[]
  /** The core's bound on remote stamps (clock warnings near it). Default the core's default. */
  maxClockOffsetMs?: number
  /** When a site counts as down or behind (site-health.ts). Default DEFAULT_SITE_HEALTH. */
  siteHealth?: Partial<SiteHealthSettings>
}

/** The parts of the running node the hub reads; functions, so the mesh may come later than the hub. */
export interface VisibilityComponents {
  log: Logger
  replica: {
    get: (key: string) => Event | undefined
    versionVector: () => VersionVectorEntries
    digest: () => Uint8Array
    stats: () => ReplicaStats
    counts: () => { keys: number, tombstones: number }
    peerStatus: (peer: string) => { lastSyncMs?: number } | undefined
    members?: () => MembershipView | undefined
    /** The artifact rules in force (protocol/rules.ts): which keys are immutable. */
    rules?: () => { set: { ruleFor: (key: string) => { immutable?: boolean } | undefined } }
  }
  mesh: () => { connectedPeers: () => string[], reachOf?: (peer: string) => 'direct' | 'relayed' | undefined, knownPeers: () => Array<{ peerId: string, lastSeenMs?: number }>, stats: () => Record<string, number> } | undefined
  blobs: { has: (digest: Uint8Array) => Promise<boolean> }
  /** The site's name in every webhook body. Default the peer id's last 8 characters. */
  siteName?: () => string
  /** Where webhook deliveries are kept (the daemon's store). Default in memory: they do not survive a restart. */
  webhookStorage?: DeliveryStorage
  /** Webhook deliveries dropped from a full queue (the daemon's shed ledger). */
  onWebhookDropped?: (index: number, n: number) => void
}

export class VisibilityHub {
  readonly bus = new EventBus()
  readonly sync: SyncTracker
  readonly metrics = new MetricsRegistry()
  readonly webhooks: Webhooks
  readonly health: SiteHealth
  private readonly init: VisibilityInit
  private readonly c: VisibilityComponents
  private holdings: HoldingsSource
  private nameOf: ((peerId: string) => string | undefined) | undefined
  private siteOf: ((peerId: string, key: string) => SitePolicyView | undefined) | undefined
  private placement: ((key: string) => { target: number, holders: string[] } | undefined) | undefined
  private reports: (() => SiteReport[]) | undefined
  private readonly bytes: Metric
  private readonly fetchSeconds: Histogram
  private syncSeen = { in: 0, out: 0 }
  private healthTimer: ReturnType<typeof setInterval> | undefined

  constructor (init: VisibilityInit, components: VisibilityComponents) {
    this.init = init
    this.c = components
    this.sync = new SyncTracker({ selfId: init.selfId, ourVv: () => components.replica.versionVector(), ourDigest: () => components.replica.digest(), nowMs: Date.now })
    const hookMetrics = webhookMetrics(this.metrics)
    this.webhooks = new Webhooks({ hooks: init.webhooks, selfId: init.selfId }, {
      bus: this.bus,
      log: components.log,
      siteName: components.siteName ?? (() => init.selfId.slice(-8)),
      storage: components.webhookStorage,
      onAttempt: hookMetrics.observeAttempt,
      onDropped: components.onWebhookDropped
    })
    this.metrics.onCollect(() => { hookMetrics.collect(this.webhooks.stats()) })
    this.holdings = new LocalHoldings(components.blobs)
    this.bytes = this.metrics.counter('mycel_net_bytes_total', 'Bytes sent and received, by protocol (sync, blob) and direction (in, out).')
    this.fetchSeconds = this.metrics.histogram('mycel_blob_fetch_duration_seconds', 'Duration of blob fetches, by outcome (ok, failed).', FETCH_SECONDS_BUCKETS)
    this.health = new SiteHealth({ ...DEFAULT_SITE_HEALTH, ...init.siteHealth }, {
      members: () => this.members(),
      lagOf: peer => this.sync.lagOf(peer),
      reportAtMs: peer => this.sync.coverage(peer)?.reportAtMs,
      rememberedSeenMs: peer => this.c.mesh()?.knownPeers().find(k => k.peerId === peer)?.lastSeenMs,
      nowMs: Date.now,
      emit: draft => { this.bus.publish(draft) }
    })
    defineMetrics(this)
    defineSiteMetrics(this.metrics, () => this.health.view())
  }

  async start (): Promise<void> {
    await this.webhooks.start()
    this.healthTimer = setInterval(() => { this.health.check() }, HEALTH_CHECK_MS)
    this.healthTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.healthTimer)
    this.endStreams()
    await this.webhooks.stop()
  }

  /** Ends every subscriber's stream (watch, the page) cleanly; stop() does it too. */
  endStreams (): void {
    this.bus.stop()
  }

  // ---------------------------------------------------------------- inputs

  /** Core observer: `event` became the winner of its key, over `previous`. */
  applied (event: Event, local: boolean, previous?: Event): void {
    this.sync.held(event.author, event.seq)
    const type = visTypeOf(event, local)
    if (type !== undefined) this.bus.publishLazy(type, () => draftFromApplied(event, local) as VisEventDraft)
    if (!local && previous !== undefined && previous.author === this.init.selfId) {
      // This site's own write lost to another's: a conflict (an immutable key) or an overwrite.
      const immutable = this.c.replica.rules?.().set.ruleFor(event.body.key)?.immutable === true
      const lost = conflictOf(event, previous, this.init.selfId, immutable) ?? (immutable ? undefined : overwrittenOf(event, previous, this.init.selfId))
      if (lost !== undefined) {
        const peerName = this.nameOf?.(event.author)
        this.bus.publish({ ...lost, peer: event.author, ...(peerName === undefined ? {} : { peerName }) })
      }
    }
  }

  /** Core observer: a held version was removed; `winner` is the key's winner now. A voided winner is a `reverted`. */
  removed (event: Event, winner: Event | undefined): void {
    const draft = revertedOf(event, winner)
    if (draft === undefined) return
    const peerName = this.nameOf?.(event.author)
    this.bus.publish({ ...draft, ...(peerName === undefined ? {} : { peerName }) })
  }

  /** Blob layer: verified bytes of `digest`, published under `key`, are now here. */
  available (key: string, digest: Uint8Array, size: number, kept = true): VisEvent {
    return this.bus.publish({ type: 'available', key, ...labelsOf(key), digest: digestText(digest), cid: cidOf(digest), size, ...(kept ? {} : { kept: false }) })
  }

  /** Every message received from a peer, before the core sees it. */
  note (from: string, message: SyncMessage): void {
    this.sync.note(from, message)
  }

  /** Blob layer: replaces LocalHoldings with the real source of who holds what. */
  setHoldings (source: HoldingsSource): void { this.holdings = source }

  /** Site names (federation/site-directory.ts), for every table and event that shows a member. */
  setNames (nameOf: (peerId: string) => string | undefined): void { this.nameOf = nameOf }

  /** Members' announced policies and groups (federation/site-directory.ts), for `where` and the release barrier. */
  setSitePolicies (siteOf: (peerId: string, key: string) => SitePolicyView | undefined): void { this.siteOf = siteOf }

  /** Blob layer: a key's replication factor and the holders placement chose (daemon/blob/placement-keeper.ts), for `where`. */
  setPlacement (placement: (key: string) => { target: number, holders: string[] } | undefined): void { this.placement = placement }

  /** Blob layer: bytes moved by a protocol ('blob'); the sync protocol's are read from the mesh. */
  countBytes (protocol: string, direction: 'in' | 'out', n: number): void { this.bytes.inc({ protocol, direction }, n) }

  /** The mesh counts its own frame bytes (totals); they are mirrored as protocol="sync". */
  mirrorSyncBytes (totalIn: number, totalOut: number): void {
    this.bytes.inc({ protocol: 'sync', direction: 'in' }, Math.max(0, totalIn - this.syncSeen.in))
    this.bytes.inc({ protocol: 'sync', direction: 'out' }, Math.max(0, totalOut - this.syncSeen.out))
    this.syncSeen = { in: Math.max(this.syncSeen.in, totalIn), out: Math.max(this.syncSeen.out, totalOut) }
  }

  /** Blob layer: one fetch finished. */
  observeFetch (seconds: number, outcome: 'ok' | 'failed'): void { this.fetchSeconds.observe(seconds, { outcome }) }

  // ---------------------------------------------------------------- reads

  members (): SyncMember[] {
    const mesh = this.c.mesh()
    return listMembers({
      selfId: this.init.selfId,
      membership: () => this.c.replica.members?.(),
      connectedPeers: () => mesh?.connectedPeers() ?? [],
      knownPeers: () => mesh?.knownPeers() ?? [],
      nameOf: peer => this.nameOf?.(peer)
    }, MAX_WHERE_ROWS)
  }

  /** Members' site reports, gossiped (reports/report-gossip.ts). */
  setReports (reports: () => SiteReport[]): void { this.reports = reports }

  /**
   * Every member's health as this node sees it, with its announced groups and default mode, its own
   * latest report (what it holds and lacks) and what the other sites' reports say of it (`mycel sites`).
   */
  sites (): SiteRow[] {
    const roles = new Map(this.members().map(m => [m.peerId, m.role]))
    const reports = this.reports?.() ?? []
    const now = Date.now()
    return this.health.view().map(v => {
      const site = this.siteOf?.(v.peerId, '')
      const reach = v.self || v.state !== 'connected' ? null : this.c.mesh()?.reachOf?.(v.peerId) ?? null
      return { ...v, reach, role: roles.get(v.peerId) ?? null, mode: site?.mode ?? null, groups: site?.groups ?? [], ...reported(v.peerId, reports, now) }
    })
  }

  /** How far the write (author, seq) of `key` has settled (settle.ts; `rm --wait-replicas`). */
  settle (key: string, author: string, seq: number): SettleAnswer {
    return settle({ get: k => this.c.replica.get(k), members: () => this.members(), sync: this.sync, nameOf: peer => this.nameOf?.(peer) }, key, author, seq)
  }

  async where (key: string): Promise<WhereAnswer> {
    return await where({ get: k => this.c.replica.get(k), members: () => this.members(), sync: this.sync, holdings: this.holdings, siteOf: (peer, k) => this.siteOf?.(peer, k), placement: k => this.placement?.(k) }, key)
  }

  peerSync (): PeerSync[] {
    const connected = new Set(this.c.mesh()?.connectedPeers() ?? [])
    const peers = new Set([...connected, ...this.members().filter(m => !m.self).map(m => m.peerId)])
    const bound = this.init.maxClockOffsetMs ?? DEFAULT_MAX_CLOCK_OFFSET_MS
    return [...peers].sort().map(peerId => {
      const lag = this.sync.lagOf(peerId)
      const offset = this.sync.clockOffsetMs(peerId)
      const lastSyncMs = this.c.replica.peerStatus(peerId)?.lastSyncMs
      return {
        peerId,
        connected: connected.has(peerId),
        lag: lag?.lag ?? null,
        lagMs: lag?.lagMs ?? null,
        report: this.sync.coverage(peerId)?.source ?? null,
        lastSyncAt: lastSyncMs === undefined ? null : new Date(Date.now() - (performance.now() - lastSyncMs)).toISOString(),
        clockOffsetMs: offset,
        clockWarning: clockWarning(offset, bound),
        transfers: this.holdings.transfersWith?.(peerId) ?? null
      }
    })
  }

  /** The parts the metrics collect hook reads. */
  sources (): { c: VisibilityComponents, hub: VisibilityHub } { return { c: this.c, hub: this } }
}

/** What a site's own report says of it, and what the other sites' reports say of it. */
function reported (peer: string, reports: SiteReport[], now: number): Pick<SiteRow, 'report' | 'seenBy'> {
  const own = reports.find(r => r.author === peer)
  const seenBy = reports.filter(r => r.author !== peer).flatMap(r => {
    const view = r.sites.find(s => s.peer === peer)
    return view === undefined ? [] : [{ by: r.author, byName: r.name, state: view.state, lag: view.lag, ageMs: Math.max(0, now - r.atMs) }]
  })
  return {
    report: own === undefined ? null : { ageMs: Math.max(0, now - own.atMs), holdings: own.holdings, connected: own.sites.filter(s => s.state === 'connected').length, of: own.sites.length },
    seenBy
  }
}

export function clockWarning (offsetMs: number | null, boundMs: number): string | null {
  if (offsetMs === null || Math.abs(offsetMs) < OFFSET_WARN_FRACTION * boundMs) return null
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
  const dir = offsetMs > 0 ? 'ahead of' : 'behind'
  const what = Math.abs(offsetMs) >= boundMs ? 'exceeds' : 'nears'
  return `clock ${s(Math.abs(offsetMs))} ${dir} ours ${what} the ${s(boundMs)} bound: ${offsetMs > 0 ? 'its new events are held here' : 'our new events are held there'} once past it`
}

/** Metrics mirrored from the parts at scrape time. */
function defineMetrics (hub: VisibilityHub): void {
  const { c } = hub.sources()
  const m = hub.metrics
  const applied = m.counter('mycel_events_applied_total', 'Events applied by the replication core (became a winner or a retained version).')
  const rejected = m.counter('mycel_events_rejected_total', 'Events refused (bad signature, not authorized, ...).')
  const held = m.counter('mycel_events_held_total', 'Events held back because their stamp was too far ahead.')
  // Not mycel_events_held: a gauge must not share its stem with the counter mycel_events_held_total.
  const heldNow = m.gauge('mycel_events_held_now', 'Events held back right now.')
  const rounds = m.counter('mycel_sync_rounds_total', 'Anti-entropy rounds started by this node.')
  const messagesOut = m.counter('mycel_sync_messages_out_total', 'Sync messages sent.')
  const keys = m.gauge('mycel_keys', 'Live keys.')
  const tombstones = m.gauge('mycel_tombstones', 'Tombstones kept.')
  const peers = m.gauge('mycel_peers', 'Peers by state: connected (sync session up), known (address book), members.')
  const lag = m.gauge('mycel_peer_lag_events', 'Events by which a peer and this node differ, as of its last report.')
  const lagSeconds = m.gauge('mycel_peer_lag_seconds', 'How long this node has held the oldest event a peer still lacks.')
  const offset = m.gauge('mycel_peer_clock_offset_seconds', "Estimated clock offset of a peer (its clock minus ours).")
  const visEvents = m.counter('mycel_visibility_events_total', 'Events published on the watch/webhook bus, by type.')
  const subscribers = m.gauge('mycel_event_subscribers', 'Live event subscribers (watch streams, pages, webhooks).')
  const slow = m.counter('mycel_event_subscribers_dropped_total', 'Event subscribers dropped for falling too far behind.')
  m.onCollect(() => {
    const s = c.replica.stats()
    applied.set(s.applied); rejected.set(s.rejected); held.set(s.held); heldNow.set(s.heldNow)
    rounds.set(s.antiEntropyRounds); messagesOut.set(s.messagesOut)
    const counts = c.replica.counts()
    keys.set(counts.keys); tombstones.set(counts.tombstones)
    const mesh = c.mesh()
    const net = mesh?.stats() ?? {}
    hub.mirrorSyncBytes(net.bytesIn ?? 0, net.bytesOut ?? 0)
    peers.set(mesh?.connectedPeers().length ?? 0, { state: 'connected' })
    peers.set(mesh?.knownPeers().length ?? 0, { state: 'known' })
    peers.set(hub.members().length, { state: 'members' })
    lag.reset(); lagSeconds.reset(); offset.reset()
    const names = new Map(hub.members().map(m => [m.peerId, m.name]))
    for (const p of hub.peerSync()) {
      // By peer id (stable) and site name (what people read); the name is the id until the site named itself.
      const labels = { peer: p.peerId, site: names.get(p.peerId) ?? p.peerId }
      if (p.lag !== null) lag.set(p.lag, labels)
      if (p.lagMs !== null) lagSeconds.set(p.lagMs / 1000, labels)
      if (p.clockOffsetMs !== null) offset.set(p.clockOffsetMs / 1000, labels)
    }
    for (const [type, n] of hub.bus.counts) visEvents.set(n, { type })
    subscribers.set(hub.bus.subscribers); slow.set(hub.bus.slowDropped)
  })
}
