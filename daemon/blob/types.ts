// The blob layer's shared vocabulary: what a fetch is about, what it reports,
// what the layer tells its owner, and what a download under way shows the
// server. Kept apart so the parts that produce these (downloads.ts, fetcher.ts)
// and those that compose or serve them (service.ts, server.ts) import this one
// file instead of each other. BlobStatus and
// FetchProgress are also JSON the CLI reads (re-exported by api/contract.ts).

import type { Manifest } from './manifest.js'

export interface HolderStats {
  chunks: number
  bytes: number
  badChunks: number
  /** Of `chunks`, those it sent while it held only part of the blob (it was downloading it too). */
  partialChunks?: number
  failed?: string
}

export interface FetchProgress {
  size: number
  bytesHave: number
  /** Bytes received over the network by this job (duplicates and bad chunks included). */
  bytesReceived: number
  chunksReceived: number
  duplicates: number
  /** Chunks asked of a second holder because the first was slow (end game). */
  endgameChunks: number
  badChunks: number
  startedMs: number
  holders: Record<string, HolderStats>
}

/** `bytes` of blob chunks this node served to a member, or received from a holder. */
export type BlobMoved = (direction: 'served' | 'received', bytes: number) => void

export interface BlobServiceEvents {
  /** Verified bytes of a blob are now here, fetched in `ms`; `keys` are the live keys that reference it. */
  stored?: (target: BlobTarget, keys: string[], progress: FetchProgress | undefined, ms: number) => void
  /** A fetch gave up (its deadline passed). */
  failed?: (target: BlobTarget, ms: number) => void
  /** A holder sent chunks that did not match the manifest. */
  badChunks?: (peer: string, count: number) => void
  /** This node served `bytes` of chunks to a member. */
  served?: (bytes: number) => void
  /** A holder sent this node `bytes` of chunks (verified or not yet). */
  received?: (bytes: number) => void
}

/** Blob transfers with one peer, as `mycel status` shows them: fetches from it (downloads.ts). */
export interface PeerTransfers { pending: number, active: number, failed: number }

/** Those, and the traffic both ways (peer-traffic.ts): what GET /v1/sync's `transfers` carries. */
export interface PeerTransfersBothWays extends PeerTransfers {
  /** Its blob streams this node is serving chunks on now: transfers in flight to it. */
  serving: number
  /** Chunk bytes received from it / sent to it since the daemon started (rates: the difference of two readings). */
  bytesIn: number
  bytesOut: number
}

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
  /** Members known to be downloading it, with verified chunks they serve (not in `holders`). */
  partialHolders: string[]
  fetching: boolean
  transfer?: FetchProgress
  /**
   * The file of the complete copy here (when `local` is complete): a CLI on this machine copies it
   * in the kernel instead of through HTTP (`mycel fetch`), and checks the digest of what it copied.
   */
  path?: string
  /**
   * Bytes fetched here stay here (this site's own publish, a replication factor's copy, or a policy
   * other than `none` for its keys). `mycel fetch -o FILE` then lets the daemon fetch them and copies
   * its file (`?wait=`); bytes a `none` site drops after serving them are streamed instead.
   */
  keptHere?: boolean
}

/** What the server needs of a PartialBlob: chunk i may be served once `have[i] === 1` (written and verified). */
export interface PartialView {
  readonly manifest: Manifest
  readonly have: Uint8Array
  readonly path: string
  readonly chunksHave: number
  /** Chunks asked of other holders and not yet verified here (one byte each, 1 = on its way). */
  coming?: () => Uint8Array
}

/** The disk quota (quota-ledger.ts) as `mycel status` shows it; null there when no quota is set. */
export interface QuotaView {
  /** The limit (config quotaBytes, --quota). */
  quotaBytes: number
  /** Bytes counted against it: complete blobs, and downloads at their blob's full size. */
  usedBytes: number
  /** Of usedBytes, downloads (running, or left part-way to be resumed). */
  downloadingBytes: number
  /** Complete blobs counted. */
  blobs: number
  /** Blobs (or left-over downloads) evicted to make room, and their bytes, since the daemon started. */
  evictions: number
  evictedBytes: number
  /** New bytes refused because nothing could be evicted: fetches someone waited on, and mirror fetches (retried with backoff). */
  refusedFetches: number
  refusedMirrors: number
  /** The last refusal: when (ms since the epoch), which blob, its size, and whose fetch it was. */
  lastRefusal: { atMs: number, digest: string, bytes: number, by: 'fetch' | 'mirror' } | null
}
