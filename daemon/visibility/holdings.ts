// Who holds a blob's verified bytes: the seam between visibility and the blob
// layer. `where`, `publish --wait-replicas` and the status page ask a
// HoldingsSource; the blob layer implements it (a compact per-member summary,
// on-demand queries, or both — its choice, as long as the traffic stays
// sub-linear in blobs × members). Until it does, LocalHoldings answers for this
// node only, from the blob store, and every other member's bytes are 'unknown'.

import type { BytesState, Transfers } from './types.js'

export interface Holding {
  state: Exclude<BytesState, 'unknown'>
  /** 0..1 while fetching. */
  progress?: number
}

export interface HoldingsSource {
  /** What other members hold of this digest, by peer id; a member absent from the map is 'unknown'. May ask peers (bounded wait). */
  holdersOf: (digest: Uint8Array) => Promise<ReadonlyMap<string, Holding>>
  /** This node's own state for the digest. */
  localProgress: (digest: Uint8Array) => Promise<Holding>
  /** Blob transfers with a peer (pending, active, failed), when known. */
  transfersWith?: (peer: string) => Transfers | undefined
}

export class LocalHoldings implements HoldingsSource {
  private readonly blobs: { has: (digest: Uint8Array) => Promise<boolean> }

  constructor (blobs: { has: (digest: Uint8Array) => Promise<boolean> }) {
    this.blobs = blobs
  }

  async holdersOf (): Promise<ReadonlyMap<string, Holding>> {
    return new Map()
  }

  async localProgress (digest: Uint8Array): Promise<Holding> {
    return { state: await this.blobs.has(digest) ? 'held' : 'missing' }
  }
}
