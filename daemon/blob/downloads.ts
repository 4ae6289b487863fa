// The fetches a daemon runs, one per digest: every caller waiting for the same bytes (the CLI, the API,
// the mirror) joins the one running. A fetch finds holders (discovery.ts), gets a manifest that matches
// the put event, and runs a FetchJob (fetcher.ts) over the holders as they answer; a failed round is
// retried with backoff (0.2–2 s) until the latest deadline any caller gave. It also remembers, bounded,
// the progress of recent fetches and the failed rounds per peer, for `mycel status`.

import { createHash } from 'node:crypto'
import { MycelError } from '../../protocol/errors.js'
import type { Clock, Timers } from '../../protocol/ports.js'
import { digestText, type BlobStore } from './store.js'
import type { Logger } from '../log.js'
import { every, sleep } from '../time.js'
import type { PeerChannel } from './client.js'
import type { HolderAnswer, HolderDiscovery } from './discovery.js'
import { FetchJob } from './fetcher.js'
import { decodeManifest, sha256, type Manifest, type ManifestStore } from './manifest.js'
import { hexOf, type BlobRefs } from './refs.js'
import type { BlobServiceEvents, BlobTarget, FetchProgress, PartialView, PeerTransfers } from './types.js'

/** Peers whose failed fetch rounds are remembered (members, not the world). */
const FAILED_PEERS_MAX = 1024
/** Finished fetches whose progress is kept for status after the fact. */
const RECENT_FETCHES = 64
const RETRY_MS_MIN = 200
const RETRY_MS_MAX = 2_000
/**
 * While a fetch runs, the members not yet among its holders are asked again this often: one that has
 * since started (or finished) downloading the same blob can serve what it has verified.
 */
const REDISCOVER_MS = 1_000

interface Running {
  promise: Promise<void>
  /** A background copy (the mirror): its chunks are taken in an order of this node's own (take-order.ts). */
  spread: boolean
  job?: FetchJob
  /** Monotonic (the components' timers). */
  deadlineMs: number
  /** Members the fetch takes chunks from: whole holders, and those in `partial` (downloading it too). */
  holders: string[]
  partial: Set<string>
  /** A round is taking chunks now (a job runs); false while finding holders or waiting to retry. */
  taking?: boolean
}

export interface DownloadsComponents {
  blobs: BlobStore
  manifests: ManifestStore
  refs: BlobRefs
  discovery: HolderDiscovery
  /** Members to ask for a target (its authors and connected members, gated). */
  candidates: (target: BlobTarget) => string[]
  /** A blob protocol channel to a member; `processing` is shared by the channels of one download. */
  open: (peer: string, processing?: Set<Promise<void>>) => Promise<PeerChannel>
  log: Logger
  events?: BlobServiceEvents
  /** This node's peer id: a spread fetch's chunk order is derived from it (and the digest). */
  selfId?: string
  /** Wall-clock times for status (when a blob was stored, when a fetch started). */
  clock: Pick<Clock, 'nowMs'>
  /** Retry backoff, rediscovery, deadlines (monotonic), and every fetch job's waits. */
  timers: Timers
  /** Chunk bytes received per holder (peer-traffic.ts). */
  onReceived?: (peer: string, bytes: number) => void
}

export interface FetchOptions {
  /**
   * A background copy nobody waits on (the mirror): take chunks in an order of this node's own
   * (take-order.ts), so sites mirroring a blob at once ask the origin for different chunks and trade
   * the rest among themselves. A fetch someone waits on goes in chunk order.
   */
  spread?: boolean
}

export class Downloads {
  private readonly running = new Map<string, Running>()
  /** Fetch rounds that failed while a peer was among the holders, per peer (bounded). */
  private readonly failedWith = new Map<string, number>()
  /** Progress of the last finished fetches, for status after the fact (bounded). */
  private readonly recent = new Map<string, FetchProgress>()
  private stopped = false

  constructor (private readonly c: DownloadsComponents) {}

  get size (): number { return this.running.size }

  isRunning (hex: string): boolean { return this.running.has(hex) }

  /**
   * The fetch of `hex` as the blob server sees it, its verified chunks to be served: while a round runs,
   * and between rounds (all holders gone, the file kept for the next) until the fetch gives up.
   */
  partialOf (hex: string): PartialView | undefined {
    return this.running.get(hex)?.job?.view
  }

  /** Holders serving the running fetch of `hex` and its progress, else the last finished one's. */
  view (hex: string): { running: boolean, holders: string[], partialHolders: string[], progress?: FetchProgress } {
    const run = this.running.get(hex)
    const partial = run?.partial ?? new Set<string>()
    return { running: run !== undefined, holders: (run?.holders ?? []).filter(p => !partial.has(p)), partialHolders: [...partial], progress: run?.job?.progress ?? this.recent.get(hex) }
  }

  /** Aborts every running fetch and waits for them to settle; none retries after this. */
  async stop (): Promise<void> {
    this.stopped = true
    for (const r of this.running.values()) r.job?.abort('daemon stopping')
    await Promise.allSettled([...this.running.values()].map(async r => await r.promise))
  }

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


  /** Joins the running fetch of this digest or starts one that retries until deadlineMs (monotonic, the components' timers). */
  async fetch (target: BlobTarget, deadlineMs: number, options: FetchOptions = {}): Promise<void> {
    const hex = hexOf(target.digest)
    let run = this.running.get(hex)
    if (run !== undefined) {
      run.deadlineMs = Math.max(run.deadlineMs, deadlineMs)
      return await run.promise
    }
    run = { promise: Promise.resolve(), deadlineMs, holders: [], partial: new Set(), spread: options.spread === true }
    const r = run
    run.promise = this.fetchUntil(target, r).finally(() => {
      this.running.delete(hex)
      if (r.job !== undefined) this.rememberProgress(hex, r.job.progress)
    })
    this.running.set(hex, run)
    return await run.promise
  }

  private async fetchUntil (target: BlobTarget, run: Running): Promise<void> {
    const { clock, timers } = this.c
    let delayMs = RETRY_MS_MIN
    const startedMs = timers.monoMs()
    for (;;) {
      try {
        await this.fetchOnce(target, run)
        this.c.refs.noteStored(hexOf(target.digest), clock.nowMs())
        if (run.job !== undefined) this.c.events?.stored?.(target, [...(this.c.refs.get(hexOf(target.digest))?.keys() ?? [])], run.job.progress, timers.monoMs() - startedMs)
        return
      } catch (err) {
        this.noteFailedRound(run.holders)
        run.taking = false // between rounds: pending, not active
        if (this.stopped || timers.monoMs() + delayMs >= run.deadlineMs) {
          this.c.events?.failed?.(target, timers.monoMs() - startedMs)
          throw err
        }
        this.c.log.debug('blob fetch round failed; retrying', { digest: digestText(target.digest), err: String(err) })
      }
      await sleep(timers, delayMs)
      delayMs = Math.min(RETRY_MS_MAX, delayMs * 2)
    }
  }

  private async fetchOnce (target: BlobTarget, run: Running): Promise<void> {
    if (await this.c.blobs.has(target.digest)) return
    // Start on the first holder to answer (whole or partial); the others join the job as their answers come.
    const holders: string[] = []
    const partial = run.partial
    partial.clear()
    let job: FetchJob | undefined
    let firstHolder = (): void => {}
    const first = new Promise<void>(resolve => { firstHolder = resolve })
    const onHolder = (peer: string, isPartial: boolean): void => {
      if (!holders.includes(peer)) holders.push(peer)
      if (isPartial) partial.add(peer)
      else partial.delete(peer)
      job?.addHolder(peer, isPartial)
      firstHolder()
    }
    const finding = this.c.discovery.find(target.digest, this.c.candidates(target), onHolder)
    run.holders = holders
    await Promise.race([first, finding])
    if (holders.length === 0) {
      const answer: HolderAnswer = await finding
      throw new MycelError('UNAVAILABLE', `none of the ${answer.asked.length} members asked holds it`)
    }
    finding.catch(() => {}) // the job goes on with the holders it has
    const manifest = await this.fetchManifest(target, holders) // live: later holders are tried too
    const shuffleSeed = run.spread ? this.spreadSeed(target.digest) : undefined
    const { clock, timers } = this.c
    job = new FetchJob(manifest, { blobs: this.c.blobs, open: async (peer, processing) => await this.c.open(peer, processing), clock, timers, onReceived: this.c.onReceived }, { shuffleSeed })
    run.job = job
    run.taking = true
    const rediscover = every(timers, REDISCOVER_MS, () => {
      const others = this.c.candidates(target).filter(p => !holders.includes(p))
      if (others.length > 0) this.c.discovery.find(target.digest, others, onHolder).catch(() => {})
    })
    try {
      await job.run(holders.filter(p => !partial.has(p)), [...partial])
    } finally {
      rediscover()
    }
  }

  /** The seed of a spread fetch's chunk order: a hash of this node's id and the digest. */
  private spreadSeed (digest: Uint8Array): number {
    return createHash('sha256').update(this.c.selfId ?? '').update(digest).digest().readUInt32BE(0)
  }

  /** The local manifest, or the first holder's whose bytes hash to the put's manifest field. */
  private async fetchManifest (target: BlobTarget, holders: string[]): Promise<Manifest> {
    const check = (bytes: Uint8Array): Manifest | undefined => {
      if (target.manifest !== undefined && !Buffer.from(sha256(bytes)).equals(Buffer.from(target.manifest))) return undefined
      const m = decodeManifest(bytes)
      return Buffer.from(m.digest).equals(Buffer.from(target.digest)) && m.size === target.size ? m : undefined
    }
    const local = await this.c.manifests.get(target.digest)
    const mine = local === undefined ? undefined : check(local)
    if (mine !== undefined) return mine
    for (const peer of holders) {
      try {
        const channel = await this.c.open(peer)
        const bytes = await channel.manifest(target.digest).finally(() => { channel.close() })
        const m = bytes === undefined ? undefined : check(bytes)
        if (m !== undefined && bytes !== undefined) {
          await this.c.manifests.put(target.digest, bytes)
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
}
