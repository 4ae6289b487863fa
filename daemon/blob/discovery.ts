// Holder discovery without the origin: "which of these do you have", asked on
// demand of the members a blob's puts name as authors plus the connected
// members (at most MAX_PEERS_ASKED). Questions to the same peer within
// HAVE_BATCH_MS are merged into one have request of up to MAX_HAVE_DIGESTS
// digests, so a mirror catching up on N blobs sends about N / 1024 requests to
// each of its (bounded) peers: traffic grows with the blobs a node wants, not
// with blobs × members, and nothing is gossiped while nobody fetches.
// Answers are cached per digest (bounded, short-lived) for the `where` view.

import type { Cancel, Timers } from '../../protocol/ports.js'
import { MAX_HAVE_DIGESTS, QUERY_TIMEOUT_MS } from './constants.js'
import type { Holding, PeerChannel } from './client.js'
import { hexOf } from './refs.js'

const HAVE_BATCH_MS = 5
const HOLDER_CACHE_ENTRIES = 10_000
const HOLDER_CACHE_MS = 60_000

interface Ask { digest: Uint8Array, resolve: (has: Holding) => void }

export interface HolderAnswer {
  /** Peers that said they hold the complete blob. */
  holders: string[]
  /** Peers that said they are downloading it and have verified chunks to serve. */
  partial: string[]
  /** Peers asked (answered no, failed or timed out: the rest). */
  asked: string[]
  /** When the answer was complete (monotonic, the components' timers). */
  atMs: number
}

export interface HolderDiscoveryComponents {
  /** Opens a blob channel to a member. */
  open: (peer: string) => Promise<PeerChannel>
  /** The batching delay, the query timeout and the cache's age. */
  timers: Timers
}

export class HolderDiscovery {
  private readonly c: HolderDiscoveryComponents
  private readonly batches = new Map<string, Ask[]>()
  private readonly cache = new Map<string, HolderAnswer>()

  constructor (components: HolderDiscoveryComponents) {
    this.c = components
  }

  /**
   * Asks every candidate at once; resolves with those that hold `digest`, whole or in part (within
   * QUERY_TIMEOUT_MS). `onHolder` is told of each as its answer comes, so a fetch can start on the
   * first one instead of waiting for the slowest member to answer.
   */
  async find (digest: Uint8Array, candidates: string[], onHolder?: (peer: string, partial: boolean) => void): Promise<HolderAnswer> {
    // Holders in the order their answers came: the quickest to answer is asked for the most chunks
    // (a fetch gives its first holder all its lanes and every later one a single lane to begin with).
    const holders: string[] = []
    const partial: string[] = []
    await Promise.all(candidates.map(async peer => {
      const holding = await this.ask(peer, digest)
      if (holding === 'none') return
      ;(holding === 'complete' ? holders : partial).push(peer)
      onHolder?.(peer, holding === 'partial')
    }))
    const answer = { holders, partial, asked: candidates, atMs: this.c.timers.monoMs() }
    this.remember(hexOf(digest), answer)
    return answer
  }

  /** The last answer for a digest, if fresh. */
  cached (digest: Uint8Array): HolderAnswer | undefined {
    const a = this.cache.get(hexOf(digest))
    return a !== undefined && this.c.timers.monoMs() - a.atMs < HOLDER_CACHE_MS ? a : undefined
  }

  /** A peer proved it holds a digest (it served it). */
  noteHolder (digest: Uint8Array, peer: string): void {
    const a = this.cached(digest)
    if (a !== undefined && !a.holders.includes(peer)) a.holders.push(peer)
  }

  private async ask (peer: string, digest: Uint8Array): Promise<Holding> {
    return await new Promise<Holding>(resolve => {
      let batch = this.batches.get(peer)
      if (batch === undefined) {
        batch = []
        this.batches.set(peer, batch)
        this.c.timers.after(HAVE_BATCH_MS, () => { this.flush(peer) })
      }
      batch.push({ digest, resolve })
      if (batch.length >= MAX_HAVE_DIGESTS) this.flush(peer)
    })
  }

  private flush (peer: string): void {
    const batch = this.batches.get(peer)
    if (batch === undefined) return
    this.batches.delete(peer)
    this.query(peer, batch).catch(() => { for (const a of batch) a.resolve('none') })
  }

  private async query (peer: string, batch: Ask[]): Promise<void> {
    let cancel: Cancel | undefined
    try {
      const answer = await Promise.race([
        (async () => {
          const channel = await this.c.open(peer)
          try {
            return await channel.holdings(batch.map(a => a.digest))
          } finally {
            channel.close()
          }
        })(),
        new Promise<Holding[]>(resolve => { cancel = this.c.timers.after(QUERY_TIMEOUT_MS, () => { resolve(batch.map(() => 'none')) }) })
      ])
      batch.forEach((a, i) => { a.resolve(answer[i] ?? 'none') })
    } finally {
      cancel?.()
    }
  }

  private remember (hex: string, answer: HolderAnswer): void {
    this.cache.delete(hex)
    this.cache.set(hex, answer)
    if (this.cache.size > HOLDER_CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string)
  }
}
