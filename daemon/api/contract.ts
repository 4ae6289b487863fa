// The local API's contract: every JSON shape the CLI reads, in one file, so
// these field names are the --json contract and the CLI imports nothing else
// of the daemon's to read an answer. Shapes the API layer makes are defined
// here; shapes the parts below it make (blob status, visibility reports, the
// federation's lists) are defined where they are made and re-exported here,
// because api/ sits on top: the parts it calls never import it back.

import type { Rule } from '../../protocol/rules.js'
import type { QuotaView } from '../blob/types.js'
import type { Reach as HostReach } from '../net/host.js'
import type { PeerLag } from '../visibility/types.js'

export type { BlobStatus, FetchProgress, HolderStats, QuotaView } from '../blob/types.js'
export type { InviteRequest, InviteResult, MemberInfo, RevokeResult } from '../federation/ops.js'
export type { VisEvent, VisEventType } from '../visibility/events.js'
export type { DeliveryInfo, DeliveryState, PingResult, WebhookInfo } from '../visibility/webhooks/types.js'
export type { RetentionDeleteInfo, RetentionPlanInfo, RetentionRuleInfo, RetentionRunInfo, RetentionRunSummary, RetentionSite } from '../retention/types.js'
export type { BytesState, PeerLag, PeerSync, ReplicasView, SiteRow, SyncMember, Transfers, WhereAnswer, WhereRow } from '../visibility/types.js'

/** Default `wait` of GET /v1/blobs/<ref>/content (and `mycel fetch --wait`): how long to get bytes that are not here, s. */
export const DEFAULT_FETCH_WAIT_S = 60
/** The longest `wait` a fetch may ask for: a day. */
export const MAX_FETCH_WAIT_S = 24 * 3600

export interface Entry {
  key: string
  /** `sha256:<hex>` of the blob. */
  digest: string
  /** CIDv1 (raw, sha2-256) of the blob, base32. */
  cid: string
  size: number
  props: Record<string, string>
  /** Peer id of the member that wrote it. */
  author: string
  /** HLC stamp as `<wall ms>.<logical>`. */
  stamp: string
}

/** One page of live keys, in key order (GET /v1/keys with `after` or `limit`). */
export interface EntryPage {
  entries: Entry[]
  /** Other keys follow the last of these: the answer then names it in NEXT_AFTER_HEADER. */
  more: boolean
}

/**
 * The header of a page of GET /v1/keys that others follow: the last key of the page,
 * percent-encoded (encodeURIComponent). The next page is `?after=<it, decoded>` with the same
 * prefix; no header, no more pages.
 */
export const NEXT_AFTER_HEADER = 'x-mycel-next-after'

export interface PublishResult extends Entry {
  /** The key is immutable and already held these bytes: nothing was written (docs/rules.md). */
  unchanged?: boolean
}

/** GET/PUT /v1/rules: the artifact rules in force (docs/rules.md), and who set them when. */
export interface RulesInfo {
  rules: Rule[]
  /** The admin that wrote them, its site name, and the stamp; null when no rules were ever set. */
  author: string | null
  authorName: string | null
  stamp: string | null
}

export interface RemoveResult {
  key: string
  author: string
  stamp: string
  /** The tombstone's seq (with author: the write `rm --wait-replicas` follows). */
  seq: number
  /** rm --wait-replicas: where the delete stands (rm.ts). */
  barrier?: { met: boolean, required: number, holding: number, missing: string[] }
}

export type { SettleAnswer } from '../visibility/settle.js'

/** How a connected peer is reached: `direct`ly, or `relayed` through a member (a site behind NAT; docs/deployment.md). */
export type Reach = HostReach

export interface PeerInfo extends PeerLag {
  connected: boolean
  addrs: string[]
  /** How it is connected now; null when it is not connected. */
  reach: Reach | null
}

/** A connected peer's row in `status` (and `status --json` peers). */
export interface ConnectedPeer extends PeerLag {
  reach: Reach | null
}

export interface StatusInfo {
  peerId: string
  /** This site's name (federation/site-directory.ts): from --name, the config, or the host name. */
  name: string
  federation: string
  /** This node's role in the federation now; null when not (yet, or no longer) a member. */
  role: string | null
  listen: string[]
  api: string
  peers: ConnectedPeer[]
  keys: number
  tombstones: number
  /** Hex digest of the replicated state (winners, tombstones included): equal on two nodes iff they hold the same state. */
  digest: string
  dir: string
  version: string
  uptimeMs: number
  /** The disk quota (config quotaBytes, --quota): limit, bytes used, evictions, refusals; null when none is set. */
  quota?: QuotaView | null
  /** Counters of the core (and the network, under `net`) for diagnostics; not a stable contract. */
  stats: Record<string, unknown>
}

export interface JoinResult {
  federation: string
  role: string | null
  /** The member that admitted us; null when we were already in that federation. */
  member: string | null
  /** False when the node already belonged to the token's federation. */
  switched: boolean
}
