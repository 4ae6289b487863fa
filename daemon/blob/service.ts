// The blob layer of a daemon: serves /mycel/blob/1.0.0, fetches blobs from
// whichever members hold them, mirrors eagerly by policy, collects blobs no
// live key references, and answers "which members hold digest D, and how far
// is a local fetch" (locate / status) for the CLI and for later features.
//
//   BlobService ── BlobServer (inbound streams, members only: the host's gate)
//       │ ├─ BlobRefs (digest → live keys; orphans for GC) ◄── applied() from the core's observer
//       │ ├─ HolderDiscovery (batched have queries, cache)
//       │ ├─ Downloads: one fetch per digest (shared by every caller waiting on it), each a FetchJob over its holders
//       │ ├─ Mirror (eager policy, and blobs placed here: bounded concurrency, backoff)
//       │ ├─ PlacementKeeper (the replication factor: which blobs this site holds whatever its mode)
//       │ ├─ BlobQuota (with quotaBytes: room made before each download, LRU eviction; quota.ts) ◄── the store's stored/removed
//       │ └─ BlobIntegrity (a copy found damaged: removed, fetched again) ◄── BlobScrub (periodic re-hash), the server, the API
//       └── BlobStore (blobs/sha256), ManifestStore (blobs/manifests), PartialBlob (blobs/partial)

import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import type { Cancel, Clock, Random, Timers } from '../../protocol/ports.js'
import { cidOf, digestText, type BlobStore } from './store.js'
import type { Logger } from '../log.js'
import type { Host } from '../net/host.js'
import { every, sleep } from '../time.js'
import { PeerChannel } from './client.js'
import { BLOB_PROTOCOL, MAX_BLOB_STREAMS, MAX_PEERS_ASKED, QUERY_TIMEOUT_MS } from './constants.js'
import { isDamaged } from './chunk-check.js'
import { DEFAULT_SCRUB_BYTES_PER_SEC, DEFAULT_SCRUB_INTERVAL_MS } from './integrity-limits.js'
import { HolderDiscovery } from './discovery.js'
import { Downloads } from './downloads.js'
import { buildManifest, decodeManifest, encodeManifest, ManifestStore, type Manifest } from './manifest.js'
import { Mirror } from './mirror.js'
import { PlacementKeeper, type KeyPlacement, type PlacementSources } from './placement-keeper.js'
import { PartialBlob } from './partial.js'
import type { ReplicationPolicy } from './policy.js'
import { BlobRefs, bytesOfHex, hexOf } from './refs.js'
import { BlobQuota } from './quota.js'
import { evictableOf, isQuotaRefusal, type Admitter, type Evictable } from './quota-ledger.js'
import { BlobIntegrity, type IntegrityStats } from './integrity.js'
import { BlobScrub, type ScrubStats } from './scrub.js'
import { BlobServer, type ServerStats } from './server.js'
import type { BlobServiceEvents, BlobStatus, BlobTarget, PeerTransfersBothWays, QuotaView } from './types.js'
import { DiskUsage } from './disk-usage.js'
import { TrafficLedger } from './peer-traffic.js'
import { UploadRate } from './upload-rate.js'
import { openVerified, type ByteSpan } from './verified-read.js'
import { readWhileFetching } from './streaming-read.js'

export interface BlobServiceInit {
  chunkBytes: number
  policy: ReplicationPolicy
  graceMs: number
  /** Cap on the bytes served, all streams together (upload-rate.ts); 0 or absent = none. */
  maxUploadBytesPerSec?: number
  /** Test-only switches of the server (see BlobServerInit). */
  corruptChunks?: boolean
  beforeChunk?: (i: number) => Promise<void>
  /** The scrub (scrub.ts): period (0 = off) and read rate. Defaults in integrity-limits.ts. */
  scrubIntervalMs?: number
  scrubBytesPerSec?: number
  /** The disk quota (quota.ts): bytes of blobs this node may hold. Absent: none (nothing is ever evicted). */
  quotaBytes?: number
}

export interface BlobServiceComponents {
  /** The libp2p node; its membership gate decides who may fetch from us and whom we fetch from. */
  host: Pick<Host, 'handle' | 'unhandle' | 'dialProtocol' | 'isAllowed'>
  blobs: BlobStore
  replica: { readonly id: string, live: (prefix?: string) => Event[] }
  connectedPeers: () => string[]
  /** A holder as a person reads it in an error: its site name and whether it is online (site-health.ts). */
  describeHolder?: (peerId: string) => { name: string | null, state: string }
  log: Logger
  /** Told of finished and failed fetches and of holders that sent bad chunks (visibility, metrics, strikes). */
  events?: BlobServiceEvents
  /** Wall-clock times of references (the GC's grace) and of fetches (status). */
  clock: Clock
  /** Every wait of the layer: fetch deadlines and backoff, the lanes, discovery, the mirror's retries, the GC sweep, the upload cap. */
  timers: Timers
  /** The mirror's retry jitter. */
  random: Random
  /** What the replication factor reads of the federation (placement-keeper.ts); absent: no factor is kept. */
  placement?: PlacementSources
  /**
   * The quota never evicts a blob for which this is true: this site is one of the holders a
   * replication factor places the digest's bytes on (maybe the last copy). Default: never.
   */
  mustKeep?: (digest: Uint8Array) => boolean
}

const SHA2_256_CODE = 0x12
const GC_SWEEP_MS_MIN = 100
const GC_SWEEP_MS_MAX = 60_000

export class BlobService {
  readonly refs = new BlobRefs()
  readonly manifests: ManifestStore
  /** Chunk bytes both ways and streams served, per peer (the status page's transfers). */
  readonly traffic = new TrafficLedger()
  /** This node's disk use under <dir>/blobs (status stats.disk). */
  readonly disk: DiskUsage
  /** Damaged copies found (by the server, the API, the scrub): removed and fetched again. */
  readonly integrity: BlobIntegrity
  /** The disk quota, when one is set. */
  readonly quota: BlobQuota | undefined
  private readonly scrub: BlobScrub
  private readonly init: BlobServiceInit
  private readonly c: BlobServiceComponents
  private readonly server: BlobServer
  private readonly discovery: HolderDiscovery
  private readonly mirror: Mirror
  private readonly downloads: Downloads
  private readonly placement: PlacementKeeper | undefined
  private stopSweep: Cancel | undefined
  private started = false

  constructor (init: BlobServiceInit, components: BlobServiceComponents) {
    this.init = init
    this.c = components
    this.manifests = new ManifestStore(components.blobs.rootDir)
    this.disk = new DiskUsage(components.blobs.rootDir, { nowMs: () => components.clock.nowMs(), log: components.log })
    const { log, clock, timers } = components
    const uploadCap = init.maxUploadBytesPerSec ?? 0
    if (uploadCap > 0) log.info('blob uploads capped', { bytesPerSec: uploadCap })
    this.quota = init.quotaBytes === undefined
      ? undefined
      : new BlobQuota({ quotaBytes: init.quotaBytes }, { blobs: components.blobs, evictable: hex => this.evictable(hex), clock, log })
    this.server = new BlobServer({ corruptChunks: init.corruptChunks, beforeChunk: init.beforeChunk }, {
      onServed: bytes => { this.c.events?.served?.(bytes) },
      traffic: this.traffic,
      rate: uploadCap > 0 ? new UploadRate(uploadCap, { now: () => timers.monoMs(), sleep: async ms => { await sleep(timers, ms) } }) : undefined,
      blobs: components.blobs,
      manifests: this.manifests,
      // Downloads under way here serve what they have verified (wire.ts).
      partials: hex => this.downloads.partialOf(hex),
      // A complete copy rotted on disk: replaced. (A download's file is the download's business: it
      // checks the whole digest at its end.)
      onDamaged: (digest, chunk, partial) => { if (!partial) this.integrity.report(digest, chunk, 'served') },
      pin: digest => this.quota?.pin(digest) ?? (() => {})
    })
    this.integrity = new BlobIntegrity({
      blobs: components.blobs,
      refOf: hex => this.refs.get(hex),
      fetch: async (target, waitMs) => { await this.ensureLocal(target, waitMs) },
      log
    })
    this.scrub = new BlobScrub({
      intervalMs: init.scrubIntervalMs ?? DEFAULT_SCRUB_INTERVAL_MS,
      bytesPerSec: init.scrubBytesPerSec ?? DEFAULT_SCRUB_BYTES_PER_SEC
    }, { blobs: components.blobs, manifests: this.manifests, integrity: this.integrity, log, timers })
    this.discovery = new HolderDiscovery({ open: async peer => await this.open(peer), timers })
    this.downloads = new Downloads({
      blobs: components.blobs,
      manifests: this.manifests,
      refs: this.refs,
      discovery: this.discovery,
      candidates: target => this.candidates(target),
      open: async (peer, processing) => await this.open(peer, processing),
      log,
      events: components.events,
      selfId: components.replica.id,
      clock,
      timers,
      onReceived: (peer, bytes) => { this.traffic.received(peer, bytes); components.events?.received?.(bytes) }
    })
    this.mirror = new Mirror({
      fetch: async hex => {
        const ref = this.refs.get(hex)
        if (ref === undefined || await this.c.blobs.has(ref.digest)) return
        await this.fetchAdmitted(ref.target(), timers.monoMs() + 5 * 60_000, 'mirror', { spread: true })
      },
      wanted: hex => {
        const ref = this.refs.get(hex)
        return ref !== undefined && (this.init.policy.modeOfKeys(ref.keys()) === 'eager' || this.isPlaced(hex))
      },
      log,
      timers,
      random: components.random
    })
    this.placement = components.placement === undefined
      ? undefined
      : new PlacementKeeper({ ...components.placement, selfId: components.replica.id, refs: this.refs, want: hex => { this.mirror.enqueue(hex) }, timers, log })
  }

  async start (): Promise<void> {
    await this.manifests.start()
    await this.quota?.start()
    this.started = true
    await this.c.host.handle(BLOB_PROTOCOL, async (stream, peer) => { await this.server.serve(stream, peer) }, {
      name: 'blob',
      maxInbound: MAX_BLOB_STREAMS,
      maxOutbound: MAX_BLOB_STREAMS,
      membersOnly: true,
      onRefused: () => { this.server.stats.refused++ }
    })
    this.refs.load(this.c.replica.live(''))
    const now = this.c.clock.nowMs()
    const stored = new Set(await this.c.blobs.list())
    for (const hex of stored) this.refs.noteStored(hex, now)
    for (const name of await readdir(PartialBlob.dirOf(this.c.blobs.rootDir)).catch(() => [] as string[])) this.refs.noteStored(name.replace(/\.bitmap(\.tmp)?$/, ''), now)
    // Now that the live keys say what may be evicted: back under the quota if it was lowered since.
    if (this.quota !== undefined) await this.quota.trim()
    const sweepMs = Math.min(GC_SWEEP_MS_MAX, Math.max(GC_SWEEP_MS_MIN, Math.floor(this.init.graceMs / 4)))
    this.stopSweep = every(this.c.timers, sweepMs, () => { this.collect().catch(err => { this.c.log.warn('blob collection failed', { err }) }) })
    // Only what is missing: the mirror would look at each held blob on disk again to find nothing to do
    // (at a million keys that pass took 6–7 s of CPU in the half minute after start: BENCHMARKS.md).
    for (const ref of this.refs.all()) {
      const hex = hexOf(ref.digest)
      if (!stored.has(hex)) this.mirror.enqueue(hex)
    }
    this.placement?.start()
    this.scrub.start()
    this.disk.snapshot() // a first measurement, so the first status read has one

  }

  async stop (): Promise<void> {
    this.integrity.stop()
    await this.scrub.stop()
    this.stopSweep?.()
    this.placement?.stop()
    this.mirror.stop()
    await this.downloads.stop()
    await this.quota?.stop()
    await this.c.host.unhandle(BLOB_PROTOCOL).catch(() => {})
  }

  get stats (): { server: ServerStats, referenced: number, orphans: number, fetching: number, mirror: Record<string, number>, integrity: IntegrityStats, scrub: ScrubStats } {
    return { server: this.server.stats, referenced: this.refs.size, orphans: this.refs.orphanCount, fetching: this.downloads.size, mirror: this.mirror.stats, integrity: this.integrity.stats, scrub: this.scrub.stats }
  }

  /** Blobs this site holds for a replication factor (placement-keeper.ts). */
  get placed (): number { return this.placement?.size ?? 0 }
  /** The disk quota as `mycel status` shows it; null when none is set. */
  quotaView (): QuotaView | null {
    return this.quota?.view() ?? null
  }

  /**
   * A blob about to be read here by other means than readVerified (a registry pull of held bytes, the
   * CLI copying the file): the most recently used, for the quota's eviction order.
   */
  noteRead (digest: Uint8Array): void {
    this.quota?.touch(digest)
  }

  /**
   * Keeps a blob from the quota's eviction until the returned function is called: a publish holds
   * the bytes it stored until its put is durable, since until then only other sites' keys may name
   * them (an on-demand copy this site also holds), and those the quota may evict.
   */
  pin (digest: Uint8Array): () => void {
    return this.quota?.pin(digest) ?? (() => {})
  }

  /** Blobs this node's policy mirrors that are not here yet (mirror.ts `waiting`; one given up on leaves the count). */
  get missing (): number { return this.mirror.waiting }

  /** One scrub pass now (tests; the scrub runs its own passes every scrubIntervalMs). */
  async scrubNow (): Promise<void> {
    await this.scrub.pass()
  }

  /**
   * The stored bytes of a blob for the local API, each chunk checked against the manifest as it is
   * read (verified-read.ts). A damaged chunk is reported here (the copy is removed and fetched again)
   * and thrown, never handed on.
   */
  async readVerified (digest: Uint8Array, span?: ByteSpan): Promise<{ size: number, chunks: AsyncGenerator<Uint8Array> }> {
    // Pinned while it is read: the quota does not evict bytes being read (the pin ends with the chunks).
    const unpin = this.quota?.pin(digest) ?? (() => {})
    this.quota?.touch(digest)
    const opened = await openVerified({ blobs: this.c.blobs, manifests: this.manifests }, digest, span).catch(err => { unpin(); throw this.noted(digest, err) })
    const noted = (err: unknown): unknown => this.noted(digest, err)
    async function * guarded (): AsyncGenerator<Uint8Array> {
      try {
        yield * opened.chunks
      } catch (err) {
        throw noted(err)
      } finally {
        unpin()
      }
    }
    return { size: opened.size, chunks: guarded() }
  }

  /** A damaged-chunk error is reported to the integrity keeper on its way up. */
  private noted (digest: Uint8Array, err: unknown): unknown {
    if (isDamaged(err)) this.integrity.report(digest, Number(err.details?.chunk), 'api')
    return err
  }

  /** The core's observer: a new winner of a key. Never waits on bytes. Ignored before start(), which loads every live key. */
  applied (event: Event, previous: Event | undefined, local: boolean): void {
    if (!this.started) return
    this.refs.applied(event, previous, this.c.clock.nowMs())
    if (event.body.kind === 'put' && !local) this.mirror.enqueue(hexOf(event.body.digest))
    this.placement?.applied(event)
  }

  /**
   * The core's observer: an event was removed (its author revoked after it). A put's key goes back to the
   * winner before it (whose bytes must not be collected as an orphan); a grant's removal is a change of
   * who may hold.
   */
  removed (event: Event, winner: Event | undefined): void {
    if (!this.started) return
    this.refs.removed(event, winner, this.c.clock.nowMs())
    this.placement?.applied(event)
    if (winner !== undefined) this.placement?.applied(winner)
  }

  /** Whether this site is one of the holders the replication factor chose for a blob: its bytes stay. */
  isPlaced (hex: string): boolean {
    return this.placement?.isPlaced(hex) ?? false
  }

  /** A key's replication factor and the holders chosen, as this site places them now (`where`). */
  placementOf (key: string): KeyPlacement | undefined {
    return this.placement?.forKey(key)
  }

  /** Chunk size of the manifests this node makes (BlobStore.put hashes chunks of it while it writes). */
  get chunkBytes (): number { return this.init.chunkBytes }

  /**
   * At publish: stores the chunk manifest of a stored blob, from the chunk
   * hashes put() computed on the way in (else by reading the blob once);
   * returns its sha-256 for the put event.
   */
  async recordManifest (blob: { digest: Uint8Array, size: number, chunks?: Uint8Array[] }): Promise<Uint8Array> {
    const m: Manifest = blob.chunks !== undefined
      ? { v: 1, digest: blob.digest, size: blob.size, chunkSize: this.init.chunkBytes, chunks: blob.chunks }
      : await buildManifest(this.c.blobs.pathOf(blob.digest), blob.digest, this.init.chunkBytes)
    return await this.manifests.put(blob.digest, encodeManifest(m))
  }

  /** A key, `sha256:<hex>` or a CID → what to fetch. NOT_FOUND if no live key and no local blob has it. */
  async resolve (ref: string, byKey: (key: string) => Event | undefined): Promise<BlobTarget> {
    const digest = parseDigestRef(ref)
    if (digest === undefined) {
      const event = byKey(ref)
      if (event === undefined || event.body.kind !== 'put') throw new MycelError('NOT_FOUND', `no key ${ref} in this federation`)
      const blobRef = this.refs.get(hexOf(event.body.digest))
      return { key: ref, digest: event.body.digest, size: event.body.size, manifest: event.body.manifest, authors: [...(blobRef?.authors() ?? [event.author])] }
    }
    const blobRef = this.refs.get(hexOf(digest))
    if (blobRef !== undefined) return blobRef.target()
    if (await this.c.blobs.has(digest)) {
      const bytes = await this.manifests.get(digest)
      const size = bytes === undefined ? 0 : decodeManifest(bytes).size
      return { digest, size, authors: [] }
    }
    throw new MycelError('NOT_FOUND', `no live key references ${digestText(digest)} in this federation`, { details: { digest: digestText(digest), holders: [] } })
  }

  /** Which members hold the blob (asking them now), and how far a local fetch is. */
  async locate (target: BlobTarget): Promise<BlobStatus> {
    await this.discovery.find(target.digest, this.candidates(target))
    return await this.status(target)
  }

  async status (target: BlobTarget): Promise<BlobStatus> {
    const hex = hexOf(target.digest)
    const run = this.downloads.view(hex)
    const complete = await this.c.blobs.has(target.digest)
    const progress = run.progress
    const partialExists = await readdir(PartialBlob.dirOf(this.c.blobs.rootDir)).then(names => names.includes(hex), () => false)
    const known = this.discovery.cached(target.digest)
    const holders = new Set<string>([...(known?.holders ?? []), ...run.holders])
    // A peer that served this fetch good chunks held them, whether or not the holder cache still says so.
    for (const [peer, h] of Object.entries(progress?.holders ?? {})) if (h.chunks > 0 && h.badChunks === 0 && (h.partialChunks ?? 0) === 0) holders.add(peer)
    if (complete) holders.add(this.c.replica.id)
    const partialHolders = [...(known?.partial ?? []), ...run.partialHolders].filter(p => !holders.has(p))
    return {
      key: target.key,
      digest: digestText(target.digest),
      cid: cidOf(target.digest),
      size: target.size,
      local: complete ? 'complete' : partialExists ? 'partial' : 'absent',
      bytesHave: complete ? target.size : progress?.bytesHave ?? 0,
      holders: [...holders],
      partialHolders: [...new Set(partialHolders)],
      fetching: run.running,
      transfer: progress,
      ...(complete ? { path: this.c.blobs.pathOf(target.digest) } : {}),
      keptHere: this.keeps(hex)
    }
  }

  /** Whether bytes fetched here stay once served (afterServe drops the others). */
  private keeps (hex: string): boolean {
    const ref = this.refs.get(hex)
    if (ref === undefined) return false
    return ref.hasAuthor(this.c.replica.id) || (this.placement?.mustKeep(hex) ?? false) || this.init.policy.modeOfKeys(ref.keys()) !== 'none'
  }

  /**
   * The bytes of `span` as they become verified here: from the stored copy if it is here, else from the
   * download as it goes (streaming-read.ts), starting (or joining) the fetch, which may take up to waitMs.
   */
  stream (target: BlobTarget, waitMs: number, span: ByteSpan): AsyncGenerator<Uint8Array> {
    return readWhileFetching({
      has: async digest => await this.c.blobs.has(digest),
      readStored: async (digest, part) => await this.readVerified(digest, part),
      fetch: async t => { await this.ensureLocal(t, waitMs) },
      partialOf: hex => this.downloads.partialOf(hex),
      timers: this.c.timers
    }, target, span)
  }

  /**
   * Makes the bytes local: returns at once if they are, else joins (or starts)
   * the fetch and waits up to waitMs. UNAVAILABLE (exit 4) names the digest and
   * the holders known; the fetch itself goes on in the background.
   */
  async ensureLocal (target: BlobTarget, waitMs: number): Promise<void> {
    if (await this.c.blobs.has(target.digest)) return
    const fetching = this.fetchAdmitted(target, this.c.timers.monoMs() + waitMs, 'fetch')
    let cancel: Cancel | undefined
    try {
      await Promise.race([fetching, new Promise<void>((_resolve, reject) => {
        cancel = this.c.timers.after(waitMs, () => { reject(new MycelError('UNAVAILABLE', 'timed out')) })
      })])
    } catch (err) {
      // Refused by the quota: its own words (TOO_LARGE or UNAVAILABLE, naming the quota), not "could not be had".
      if (isQuotaRefusal(err)) throw err
      const holders = (await this.status(target)).holders
      const why = err instanceof MycelError && err.message !== 'timed out' ? `: ${err.message}` : ''
      const damage = this.integrity.describe(target.digest)
      // Each holder by name and state: "the publisher is offline" is the usual answer a person needs.
      // The publishers keep what they published: with no holder known, they are where the bytes should be.
      const publishers = target.authors.filter(a => a !== this.c.replica.id && !holders.includes(a))
      const describe = (peerId: string): { peerId: string, name: string | null, state: string } =>
        ({ peerId, ...(this.c.describeHolder?.(peerId) ?? { name: null, state: this.c.connectedPeers().includes(peerId) ? 'connected' : 'not connected' }) })
      const text = (h: { peerId: string, name: string | null, state: string }): string =>
        `${h.name ?? h.peerId} (${h.state === 'connected' ? 'online' : h.state === 'unreachable' || h.state === 'not connected' ? 'offline' : h.state})`
      const states = holders.map(describe)
      const publisherStates = publishers.map(describe)
      throw new MycelError('UNAVAILABLE', `the bytes of ${digestText(target.digest)} are not here and could not be had within ${Math.round(waitMs / 1000)} s${why}${damage === undefined ? '' : ` (${damage})`}; holders known: ${holders.length === 0 ? 'none' : states.map(text).join(', ')}` +
        (publisherStates.length === 0 ? '' : `; published by ${publisherStates.map(text).join(', ')}`), {
        cause: err,
        details: { digest: digestText(target.digest), holders, holderStates: states, publishers: publisherStates }
      })
    } finally {
      cancel?.()
    }
  }

  /** After a download was served by the API: a node with policy `none` keeps no bytes it did not publish. */
  async afterServe (target: BlobTarget): Promise<void> {
    const hex = hexOf(target.digest)
    if (this.refs.get(hex) === undefined || this.keeps(hex) || this.downloads.isRunning(hex)) return
    await this.c.blobs.remove(target.digest)
  }

  pathOf (digest: Uint8Array): string { return this.c.blobs.pathOf(digest) }

  /** The whole blob is stored here, verified. */
  async has (digest: Uint8Array): Promise<boolean> { return await this.c.blobs.has(digest) }

  /** Fetches from one peer (downloads.ts), and the chunk traffic both ways with it (peer-traffic.ts). */
  transfersWith (peer: string): PeerTransfersBothWays {
    return { ...this.downloads.transfersWith(peer), ...this.traffic.of(peer) }
  }

  /**
   * A download, with room made for it first under the quota (quota.ts: victims evicted before the
   * first byte; a refusal throws before anything is fetched). The room is held until the fetch
   * settles, which may be after its first caller stopped waiting (the fetch goes on in the background).
   */
  private async fetchAdmitted (target: BlobTarget, deadlineMs: number, by: Admitter, options: { spread?: boolean } = {}): Promise<void> {
    const download = async (): Promise<void> => { await this.downloads.fetch(target, deadlineMs, options) }
    await (this.quota === undefined ? download() : this.quota.during(target, by, download))
  }

  /** What the quota may do with a blob's bytes (quota-ledger.ts evictableOf): never a copy the replication factor placed here. */
  private evictable (hex: string): Evictable {
    return evictableOf(this.refs.get(hex), { selfId: this.c.replica.id, downloading: this.downloads.isRunning(hex), policy: this.init.policy, mustKeep: d => (this.placement?.mustKeep(hex) ?? false) || this.c.mustKeep?.(d) === true })
  }

  private candidates (target: BlobTarget): string[] {
    const self = this.c.replica.id
    // The factor's holders first (they should have it, connected or not), then the authors, then the rest.
    const placed = this.placement?.holdersOf(hexOf(target.digest), MAX_PEERS_ASKED) ?? []
    const peers = new Set([...placed, ...target.authors, ...this.c.connectedPeers()])
    return [...peers].filter(p => p !== self && this.c.host.isAllowed(p)).slice(0, MAX_PEERS_ASKED)
  }

  private async open (peer: string, processing?: Set<Promise<void>>): Promise<PeerChannel> {
    if (!this.c.host.isAllowed(peer)) throw new MycelError('PERMISSION_DENIED', `${peer} is not a member`)
    const stream = await this.c.host.dialProtocol(peerIdFromString(peer), BLOB_PROTOCOL, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) })
    return new PeerChannel({ peer, processing }, stream)
  }

  /** Deletes blobs (and their manifests and partial downloads) unreferenced for a whole grace period. */
  private async collect (): Promise<void> {
    for (const hex of this.refs.takeExpired(this.c.clock.nowMs(), this.init.graceMs)) {
      if (this.downloads.isRunning(hex)) continue
      const digest = bytesOfHex(hex)
      if (digest.byteLength !== 32) continue
      await this.c.blobs.remove(digest)
      await this.manifests.remove(digest)
      const partial = join(PartialBlob.dirOf(this.c.blobs.rootDir), hex)
      await rm(partial, { force: true })
      await rm(`${partial}.bitmap`, { force: true })
      await rm(`${partial}.bitmap.tmp`, { force: true })
      this.quota?.forgetDownload(hex)
      this.c.log.info('blob collected', { digest: `sha256:${hex}` })
    }
  }
}

const DIGEST_REF = /^sha256:([0-9a-fA-F]{64})$/
/** What is read as a CID (base32, as `publish` prints them), valid or not. */
const CID_REF = /^b[a-z2-7]{50,}$/

/** `sha256:<64 hex>` or a CIDv1 raw/sha2-256 → digest; anything else is a key (undefined). */
export function parseDigestRef (ref: string): Uint8Array | undefined {
  const m = DIGEST_REF.exec(ref)
  if (m !== null) return Uint8Array.from(Buffer.from(m[1] as string, 'hex'))
  if (CID_REF.test(ref)) return cidDigest(ref)
  return undefined
}

/** True if `ref` is read as a digest or a CID, never as a key: a key of that shape could not be fetched by its name. */
export function readsAsContentRef (ref: string): boolean {
  return DIGEST_REF.test(ref) || CID_REF.test(ref)
}

function cidDigest (text: string): Uint8Array {
  // A CID of another hash names no blob here: a USAGE error, not a key lookup.
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch {
    throw MycelError.usage(`${text} is not a valid CID`)
  }
  if (cid.multihash.code !== SHA2_256_CODE || cid.multihash.digest.byteLength !== 32) throw MycelError.usage(`${text} is not a sha2-256 CID`)
  return cid.multihash.digest
}
