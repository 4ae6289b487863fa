// The blob layer's answer to visibility's HoldingsSource (daemon/visibility/
// holdings.ts): who holds a digest's verified bytes, and how far this node is.
// Remote holdings come from the blob service's on-demand "which of these do you
// have" queries (discovery.ts): asked of the sites a replication factor chose, the put's authors and a bounded set of
// connected members, only when someone asks `where` or waits for replicas — so
// the traffic follows the questions, not blobs × members. A member that answered
// it is downloading the blob is 'fetching' (without progress); any other member
// that did not answer "held" stays 'unknown'.

import type { Holding, HoldingsSource } from './holdings.js'
import type { Transfers } from './types.js'
import type { BlobService } from '../blob/service.js'

export class BlobHoldings implements HoldingsSource {
  constructor (private readonly service: BlobService, private readonly selfId: string) {}

  async holdersOf (digest: Uint8Array): Promise<ReadonlyMap<string, Holding>> {
    const target = await this.service.resolve(`sha256:${Buffer.from(digest).toString('hex')}`, () => undefined).catch(() => undefined)
    const out = new Map<string, Holding>()
    if (target === undefined) return out
    const status = await this.service.locate(target)
    for (const peer of status.holders) if (peer !== this.selfId) out.set(peer, { state: 'held' })
    // Downloading it, with verified chunks (a have answer's `partial`); how far is not asked.
    for (const peer of status.partialHolders) if (peer !== this.selfId && !out.has(peer)) out.set(peer, { state: 'fetching' })
    return out
  }

  transfersWith (peer: string): Transfers {
    return this.service.transfersWith(peer)
  }

  async localProgress (digest: Uint8Array): Promise<Holding> {
    const target = await this.service.resolve(`sha256:${Buffer.from(digest).toString('hex')}`, () => undefined).catch(() => undefined)
    if (target === undefined) return { state: 'missing' }
    const s = await this.service.status(target)
    if (s.local === 'complete') return { state: 'held' }
    if (s.fetching) return { state: 'fetching', progress: s.size === 0 ? 0 : s.bytesHave / s.size }
    return { state: 'missing' }
  }
}
