// The blob layer of a daemon: serves /mycel/blob/1.0.0, fetches blobs from
// whichever members hold them, mirrors eagerly by policy, collects blobs no
// live key references, and answers "which members hold digest D, and how far
// is a local fetch" (locate / status) for the CLI and for later features.
//
//   BlobService ── BlobServer (inbound streams; isAllowed gate)
//       │ ├─ BlobRefs (digest → live keys; orphans for GC) ◄── applied() from the core's observer
//       │ ├─ HolderDiscovery (batched have queries, cache)
//       │ ├─ FetchJob per digest being fetched (shared by every caller waiting on it)
//       │ └─ Mirror (eager policy: bounded concurrency, backoff)
//       └── BlobStore (blobs/sha256), ManifestStore (blobs/manifests), PartialBlob (blobs/partial)

import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Libp2p } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { cidOf, digestText, type BlobStore } from '../blob-store.js'
import type { Logger } from '../log.js'
import { PeerChannel } from './client.js'
import { BLOB_PROTOCOL, MAX_BLOB_STREAMS, MAX_PEERS_ASKED, QUERY_TIMEOUT_MS } from './constants.js'
import { HolderDiscovery, type HolderAnswer } from './discovery.js'
import { FetchJob, type FetchProgress } from './fetcher.js'
import { buildManifest, decodeManifest, encodeManifest, ManifestStore, sha256, type Manifest } from './manifest.js'
import { Mirror } from './mirror.js'
import { PartialBlob } from './partial.js'
import type { ReplicationPolicy } from './policy.js'
import { BlobRefs, hexOf, type BlobRef } from './refs.js'
import { BlobServer, type ServerStats } from './server.js'
import { REAL_TIME, UploadRate } from './upload-rate.js'

export interface BlobServiceInit {
  chunkBytes: number
  policy: ReplicationPolicy
  graceMs: number
  /** Cap on the bytes served, all streams together (upload-rate.ts); 0 or absent = none. */
  maxUploadBytesPerSec?: number
  /** Test-only switches of the server (see BlobServerInit). */
  corruptChunks?: boolean
  serveDelayMs?: number
}

export interface BlobServiceComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
  blobs: BlobStore
  replica: { readonly id: string, live: (prefix?: string) => Event[] }
  connectedPeers: () => string[]
  log: Logger
  /** Told of finished and failed fetches and of holders that sent bad chunks (visibility, metrics, strikes). */
  events?: BlobServiceEvents
}

export interface BlobServiceEvents {
  /** Verified bytes of a blob are now here, fetched in `ms`; `keys` are the live keys that reference it. */
  stored?: (target: BlobTarget, keys: string[], progress: FetchProgress | undefined, ms: number) => void
  /** A fetch gave up (its deadline passed). */
  failed?: (target: BlobTarget, ms: number) => void
  /** A holder sent chunks that did not match the manifest. */
  badChunks?: (peer: string, count: number) => void
  /** This node served `bytes` of chunks to a member. */
  served?: (bytes: number) => void
}

/** Blob transfers with one peer, as `mycel status` shows them. */
export interface PeerTransfers { pending: number, active: number, failed: number }

/** Peers whose failed fetch rounds are remembered (members, not the world). */
const FAILED_PEERS_MAX = 1024

/** What a fetch is about: from a key, a digest or a CID. */
export interface BlobTarget {
  key?: string
  digest: Uint8Array
  size: number
  manifest?: Uint8Array
  authors: string[]
}

export interface BlobStatus {
  key?: string
  digest: string
  cid: string
  size: number
  /** complete: the bytes are here; partial: a download has some of them; absent: none. */
  local: 'complete' | 'partial' | 'absent'
  bytesHave: number
  /** Members known to hold it (last answers to have queries, plus holders serving a running fetch). */
  holders: string[]
  fetching: boolean
  transfer?: FetchProgress
}

interface Running {
  promise: Promise<void>
  job?: FetchJob
  deadlineMs: number
  holders: string[]
  /** A round is taking chunks now (a job runs); false while finding holders or waiting to retry. */
  taking?: boolean
}

const SHA2_256_CODE = 0x12
const GC_SWEEP_MS_MIN = 100
const GC_SWEEP_MS_MAX = 60_000
const RECENT_FETCHES = 64
const RETRY_MS_MIN = 200
const RETRY_MS_MAX = 2_000

export class BlobService {
  /** Membership gate for both directions; the federation layer replaces it. Default: allow. */
  isAllowed: (peer: string) => boolean = () => true
  readonly refs = new BlobRefs()
  readonly manifests: ManifestStore
  private readonly init: BlobServiceInit
  private readonly c: BlobServiceComponents
  private readonly server: BlobServer
  private readonly discovery: HolderDiscovery
  private readonly mirror: Mirror
  private readonly running = new Map<string, Running>()
  /** Fetch rounds that failed while a peer was among the holders, per peer (bounded). */
  private readonly failedWith = new Map<string, number>()
  /** Progress of the last finished fetches, for status after the fact (bounded). */
  private readonly recent = new Map<string, FetchProgress>()
  private gcTimer: NodeJS.Timeout | undefined
  private stopped = false

  constructor (init: BlobServiceInit, components: BlobServiceComponents) {
    this.init = init
    this.c = components
    this.manifests = new ManifestStore(components.blobs.rootDir)
    const log = components.log
    this.server = new BlobServer({ corruptChunks: init.corruptChunks, serveDelayMs: init.serveDelayMs }, {
      onServed: bytes => { this.c.events?.served?.(bytes) },
      rate: init.maxUploadBytesPerSec !== undefined && init.maxUploadBytesPerSec > 0 ? new UploadRate(init.maxUploadBytesPerSec, REAL_TIME) : undefined,
      blobs: components.blobs,
      manifests: this.manifests,
      isAllowed: peer => this.isAllowed(peer),
      log: (level, msg, fields) => { log[level](msg, fields) }
    })
    if (init.maxUploadBytesPerSec !== undefined && init.maxUploadBytesPerSec > 0) log.info('blob uploads capped', { bytesPerSec: init.maxUploadBytesPerSec })
    this.discovery = new HolderDiscovery(async peer => await this.open(peer))
    this.mirror = new Mirror({
      fetch: async hex => {
        const ref = this.refs.get(hex)
        if (ref === undefined || await this.c.blobs.has(ref.digest)) return
        await this.fetch(targetOf(ref), Date.now() + 5 * 60_000)
      },
      wanted: hex => { const ref = this.refs.get(hex); return ref !== undefined && this.init.policy.modeOfKeys(ref.keys) === 'eager' },
      log
    })
  }

  async start (): Promise<void> {
    await this.manifests.start()
    await this.c.libp2p.handle(BLOB_PROTOCOL, (stream, connection) => { this.server.handle(stream, connection) }, {
      maxInboundStreams: MAX_BLOB_STREAMS,
      maxOutboundStreams: MAX_BLOB_STREAMS
    })
    this.refs.load(this.c.replica.live(''))
    const now = Date.now()
    for (const hex of await this.c.blobs.list()) this.refs.noteStored(hex, now)
    for (const name of await readdir(PartialBlob.dirOf(this.c.blobs.rootDir)).catch(() => [] as string[])) this.refs.noteStored(name.replace(/\.bitmap$/, ''), now)
    const sweepMs = Math.min(GC_SWEEP_MS_MAX, Math.max(GC_SWEEP_MS_MIN, Math.floor(this.init.graceMs / 4)))
    this.gcTimer = setInterval(() => { this.collect().catch(err => { this.c.log.warn('blob collection failed', { err }) }) }, sweepMs)
    this.gcTimer.unref()
    for (const ref of this.refs.all()) this.mirror.enqueue(hexOf(ref.digest))
  }

  async stop (): Promise<void> {
    this.stopped = true
    clearInterval(this.gcTimer)
    this.mirror.stop()
    for (const r of this.running.values()) r.job?.abort('daemon stopping')
    await Promise.allSettled([...this.running.values()].map(async r => await r.promise))
    await this.c.libp2p.unhandle(BLOB_PROTOCOL).catch(() => {})
  }

  get stats (): { server: ServerStats, referenced: number, orphans: number, fetching: number, mirror: Record<string, number> } {
    return { server: this.server.stats, referenced: this.refs.size, orphans: this.refs.orphanCount, fetching: this.running.size, mirror: this.mirror.stats }
  }

  /** The core's observer: a new winner of a key. Never waits on bytes. */
  applied (event: Event, previous: Event | undefined, local: boolean): void {
    this.refs.applied(event, previous, Date.now())
    if (event.body.kind === 'put' && !local) this.mirror.enqueue(hexOf(event.body.digest))
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
      return { key: ref, digest: event.body.digest, size: event.body.size, manifest: event.body.manifest, authors: [...(blobRef?.authors ?? [event.author])] }
    }
    const blobRef = this.refs.get(hexOf(digest))
    if (blobRef !== undefined) return targetOf(blobRef)
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
    const run = this.running.get(hex)
    const complete = await this.c.blobs.has(target.digest)
    const progress = run?.job?.progress ?? this.recent.get(hex)
    const partialExists = await readdir(PartialBlob.dirOf(this.c.blobs.rootDir)).then(names => names.includes(hex), () => false)
    const holders = new Set<string>([...(this.discovery.cached(target.digest)?.holders ?? []), ...(run?.holders ?? [])])
    if (complete) holders.add(this.c.replica.id)
    return {
      key: target.key,
      digest: digestText(target.digest),
      cid: cidOf(target.digest),
      size: target.size,
      local: complete ? 'complete' : partialExists ? 'partial' : 'absent',
      bytesHave: complete ? target.size : progress?.bytesHave ?? 0,
      holders: [...holders],
      fetching: run !== undefined,
      transfer: progress
    }
  }

  /**
   * Makes the bytes local: returns at once if they are, else joins (or starts)
   * the fetch and waits up to waitMs. UNAVAILABLE (exit 4) names the digest and
   * the holders known; the fetch itself goes on in the background.
   */
  async ensureLocal (target: BlobTarget, waitMs: number): Promise<void> {
    if (await this.c.blobs.has(target.digest)) return
    const fetching = this.fetch(target, Date.now() + waitMs)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([fetching, new Promise<void>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new MycelError('UNAVAILABLE', 'timed out')) }, waitMs)
      })])
    } catch (err) {
      const holders = (await this.status(target)).holders
      const why = err instanceof MycelError && err.message !== 'timed out' ? `: ${err.message}` : ''
      throw new MycelError('UNAVAILABLE', `the bytes of ${digestText(target.digest)} are not here and could not be had within ${Math.round(waitMs / 1000)} s${why}; holders known: ${holders.length === 0 ? 'none' : holders.join(', ')}`, {
        cause: err,
        details: { digest: digestText(target.digest), holders }
      })
    } finally {
      clearTimeout(timer)
    }
  }

  /** After a download was served by the API: a node with policy `none` keeps no bytes it did not publish. */
  async afterServe (target: BlobTarget): Promise<void> {
    const ref = this.refs.get(hexOf(target.digest))
    if (ref === undefined || ref.authors.has(this.c.replica.id)) return
    if (this.init.policy.modeOfKeys(ref.keys) !== 'none' || this.running.has(hexOf(target.digest))) return
    await this.c.blobs.remove(target.digest)
  }

  pathOf (digest: Uint8Array): string { return this.c.blobs.pathOf(digest) }

  /**
   * Transfers with one peer: active = fetches now taking chunks from it;
   * pending = fetches that know it holds the blob but have not started
   * taking chunks (finding holders, fetching the manifest, waiting to retry);
   * failed = fetch rounds that failed while it was a holder.
   */
  transfersWith (peer: string): PeerTransfers {
    let active = 0
    let pending = 0
    for (const run of this.running.values()) {
      if (!run.holders.includes(peer)) continue
      if (run.taking === true) active++
      else pending++
    }
    return { pending, active, failed: this.failedWith.get(peer) ?? 0 }
  }

  private noteFailedRound (holders: string[]): void {
    for (const peer of holders) {
      if (!this.failedWith.has(peer) && this.failedWith.size >= FAILED_PEERS_MAX) continue
      this.failedWith.set(peer, (this.failedWith.get(peer) ?? 0) + 1)
    }
  }

  /** Joins the running fetch of this digest or starts one that retries until deadlineMs. */
  private async fetch (target: BlobTarget, deadlineMs: number): Promise<void> {
    const hex = hexOf(target.digest)
    let run = this.running.get(hex)
    if (run !== undefined) {
      run.deadlineMs = Math.max(run.deadlineMs, deadlineMs)
      return await run.promise
    }
    run = { promise: Promise.resolve(), deadlineMs, holders: [] }
    const r = run
    run.promise = this.fetchUntil(target, r).finally(() => {
      this.running.delete(hex)
      if (r.job !== undefined) this.rememberProgress(hex, r.job.progress)
    })
    this.running.set(hex, run)
    return await run.promise
  }

  private async fetchUntil (target: BlobTarget, run: Running): Promise<void> {
    let delayMs = RETRY_MS_MIN
    const startedMs = Date.now()
    for (;;) {
      try {
        await this.fetchOnce(target, run)
        this.refs.noteStored(hexOf(target.digest), Date.now())
        if (run.job !== undefined) this.c.events?.stored?.(target, [...(this.refs.get(hexOf(target.digest))?.keys ?? [])], run.job.progress, Date.now() - startedMs)
        return
      } catch (err) {
        this.noteFailedRound(run.holders)
        run.taking = false // between rounds: pending, not active
        if (this.stopped || Date.now() + delayMs >= run.deadlineMs) {
          this.c.events?.failed?.(target, Date.now() - startedMs)
          throw err
        }
        this.c.log.debug('blob fetch round failed; retrying', { digest: digestText(target.digest), err: String(err) })
      }
      await new Promise(resolve => setTimeout(resolve, delayMs))
      delayMs = Math.min(RETRY_MS_MAX, delayMs * 2)
    }
  }

  private async fetchOnce (target: BlobTarget, run: Running): Promise<void> {
    if (await this.c.blobs.has(target.digest)) return
    // Start on the first holder to answer; the others join the job as their answers come.
    const holders: string[] = []
    let job: FetchJob | undefined
    let firstHolder = (): void => {}
    const first = new Promise<void>(resolve => { firstHolder = resolve })
    const finding = this.discovery.find(target.digest, this.candidates(target), peer => {
      holders.push(peer)
      job?.addHolder(peer)
      firstHolder()
    })
    run.holders = holders
    await Promise.race([first, finding])
    if (holders.length === 0) {
      const answer: HolderAnswer = await finding
      throw new MycelError('UNAVAILABLE', `none of the ${answer.asked.length} members asked holds it`)
    }
    finding.catch(() => {}) // the job goes on with the holders it has
    const manifest = await this.fetchManifest(target, holders) // live: later holders are tried too
    job = new FetchJob(manifest, { blobs: this.c.blobs, open: async (peer, processing) => await this.open(peer, processing) })
    run.job = job
    run.taking = true
    await job.run([...holders])
  }

  /** The local manifest, or the first holder's whose bytes hash to the put's manifest field. */
  private async fetchManifest (target: BlobTarget, holders: string[]): Promise<Manifest> {
    const check = (bytes: Uint8Array): Manifest | undefined => {
      if (target.manifest !== undefined && !Buffer.from(sha256(bytes)).equals(Buffer.from(target.manifest))) return undefined
      const m = decodeManifest(bytes)
      return Buffer.from(m.digest).equals(Buffer.from(target.digest)) && m.size === target.size ? m : undefined
    }
    const local = await this.manifests.get(target.digest)
    const mine = local === undefined ? undefined : check(local)
    if (mine !== undefined) return mine
    for (const peer of holders) {
      try {
        const channel = await this.open(peer)
        const bytes = await channel.manifest(target.digest).finally(() => { channel.close() })
        const m = bytes === undefined ? undefined : check(bytes)
        if (m !== undefined && bytes !== undefined) {
          await this.manifests.put(target.digest, bytes)
          return m
        }
      } catch (err) {
        this.c.log.debug('manifest request failed', { remote: peer, err: String(err) })
      }
    }
    throw new MycelError('UNAVAILABLE', 'no holder sent a manifest matching the put event')
  }

  private rememberProgress (hex: string, progress: FetchProgress): void {
    for (const [peer, h] of Object.entries(progress.holders)) {
      if (h.badChunks > 0) this.c.events?.badChunks?.(peer, h.badChunks)
      if (h.badChunks > 0) this.c.log.warn('holder sent chunks that did not match the manifest', { remote: peer, digest: `sha256:${hex}`, badChunks: h.badChunks })
    }
    this.recent.delete(hex)
    this.recent.set(hex, progress)
    if (this.recent.size > RECENT_FETCHES) this.recent.delete(this.recent.keys().next().value as string)
  }

  private candidates (target: BlobTarget): string[] {
    const self = this.c.replica.id
    const peers = new Set([...target.authors, ...this.c.connectedPeers()])
    return [...peers].filter(p => p !== self && this.isAllowed(p)).slice(0, MAX_PEERS_ASKED)
  }

  private async open (peer: string, processing?: Set<Promise<void>>): Promise<PeerChannel> {
    if (!this.isAllowed(peer)) throw new MycelError('PERMISSION_DENIED', `${peer} is not a member`)
    const stream = await this.c.libp2p.dialProtocol(peerIdFromString(peer), BLOB_PROTOCOL, { signal: AbortSignal.timeout(QUERY_TIMEOUT_MS) })
    return new PeerChannel({ peer, processing }, stream)
  }

  /** Deletes blobs (and their manifests and partial downloads) unreferenced for a whole grace period. */
  private async collect (): Promise<void> {
    for (const hex of this.refs.takeExpired(Date.now(), this.init.graceMs)) {
      if (this.running.has(hex)) continue
      const digest = Uint8Array.from(Buffer.from(hex, 'hex'))
      if (digest.byteLength !== 32) continue
      await this.c.blobs.remove(digest)
      await this.manifests.remove(digest)
      const partial = join(PartialBlob.dirOf(this.c.blobs.rootDir), hex)
      await rm(partial, { force: true })
      await rm(`${partial}.bitmap`, { force: true })
      this.c.log.info('blob collected', { digest: `sha256:${hex}` })
    }
  }
}

function targetOf (ref: BlobRef): BlobTarget {
  return { digest: ref.digest, size: ref.size, manifest: ref.manifest, authors: [...ref.authors] }
}

/** `sha256:<64 hex>` or a CIDv1 raw/sha2-256 → digest; anything else is a key (undefined). */
export function parseDigestRef (ref: string): Uint8Array | undefined {
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(ref)
  if (m !== null) return Uint8Array.from(Buffer.from(m[1] as string, 'hex'))
  if (/^b[a-z2-7]{50,}$/.test(ref)) return cidDigest(ref)
  return undefined
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
