// What the visibility parts report, as plain data: per-peer lag and sync state,
// where a key's bytes are, the sync view of members. The CLI reads them through
// daemon/api/contract.ts, so these field names are the --json contract of
// `where`, `status` (per-peer fields) and `watch` (VisEvent in events.ts).

export interface PeerLag {
  peerId: string
  /** Its site name, when it named itself (federation/site-directory.ts). */
  name?: string
  /**
   * Events by which this node and the peer differ, as of the peer's last
   * report (its vv message, or a digest equal to ours): the sum over authors of
   * |our seq − its seq|. null until the peer has reported. 0 means in sync.
   */
  lag: number | null
  /** Of those, events the peer has and we lack / we have and it lacks. */
  behind: number | null
  ahead: number | null
}

export type BytesState = 'held' | 'fetching' | 'missing' | 'unknown'

/** One member's row in `mycel where KEY --json` (the contract, plus `self` and `report`). */
export interface WhereRow {
  peerId: string
  /** Its site name, when it named itself. */
  name?: string
  /** reader | writer | admin, or null when this node runs without a membership view. */
  role: string | null
  /** The stamp of the key's winner if the member covers it, else null (lacks it, or unknown: see `report`). */
  metadata: string | null
  bytes: BytesState
  /** 0..1 while fetching, else null. */
  progress: number | null
  self: boolean
  /** Where the metadata answer comes from: this node, the member's own report, another member's relay, or nothing (unknown). */
  report: 'self' | 'direct' | 'relayed' | 'none'
  /** What its announced policy does with this key's bytes (eager | on-demand | none); null if it announced none. */
  mode: 'eager' | 'on-demand' | 'none' | null
  /** The site groups it is in (`daemon --group`), [] if none or not announced. */
  groups: string[]
  /** Whether the key's replication factor chose it to hold the bytes (protocol/placement.ts); null: no factor for this key. */
  placed: boolean | null
}

/** A key's replication factor (rules.ts `replicas`) in `where`: what the rule asks and what is held. */
export interface ReplicasView {
  /** The rule's factor: how many sites should hold the bytes. */
  target: number
  /** Members that hold verified bytes now (bytes `held`), chosen or not. */
  actual: number
  /** The sites the placement chose (peer ids, best first): `target` of them, fewer if fewer can hold. This node's view. */
  holders: string[]
}

/** A member's announced policy for one key, and its groups (federation/site-directory.ts). */
export interface SitePolicyView {
  mode: 'eager' | 'on-demand' | 'none' | undefined
  groups: string[]
}

export interface WhereAnswer {
  key: string
  digest: string
  author: string
  seq: number
  stamp: string
  members: WhereRow[]
  /** The key's replication factor, target and actual; null without a `replicas` rule for it. */
  replicas: ReplicasView | null
}

/**
 * Blob transfers with one peer. From it: `active` fetches taking chunks from it now, `pending` ones
 * that know it holds the blob but are not taking chunks yet, `failed` rounds. To it: `serving`, its
 * blob streams this node is sending chunks on. `bytesIn` / `bytesOut`: chunk bytes received from it
 * and sent to it since the daemon started (a rate is the difference of two readings over their interval).
 */
export interface Transfers { pending: number, active: number, failed: number, serving: number, bytesIn: number, bytesOut: number }

/** Per-peer sync state for `mycel status` (merged into its peers rows) and the status page. */
export interface PeerSync {
  peerId: string
  connected: boolean
  /** Events by which we differ (as PeerLag), from direct or relayed reports; null if none. */
  lag: number | null
  /** How long we have held the oldest event the peer still lacks, ms; 0 in sync; null if no report. */
  lagMs: number | null
  report: 'direct' | 'relayed' | null
  /** Wall-clock time of the last completed anti-entropy exchange with it (ISO), null if none yet. */
  lastSyncAt: string | null
  /** Estimated clock offset, its clock − ours, ms; null without a sample (see docs/visibility.md). */
  clockOffsetMs: number | null
  /** Set when |clockOffsetMs| nears the core's bound on remote stamps. */
  clockWarning: string | null
  /** Blob transfers with this peer, once the blob layer reports them; null until then. */
  transfers: Transfers | null
}

/** One member's row in `GET /v1/sync/members` (the federation's own list, /v1/members, is federation/ops.ts's MemberInfo). */
export interface SyncMember {
  peerId: string
  /** Its site name (federation/site-directory.ts), when it named itself. */
  name?: string
  role: string | null
  connected: boolean
  self: boolean
}

export type SiteState = 'connected' | 'unreachable' | 'never-seen'

export interface SiteLag { lag: number, behind: number, ahead: number, lagMs: number }

/** One site's health (`mycel sites --json` rows add the site record's fields). */
export interface SiteHealthView {
  peerId: string
  name: string | null
  self: boolean
  state: SiteState
  /** When the state began (ms since the epoch): for `unreachable`, when it was last connected. */
  sinceMs: number | null
  /** When it was last connected (ms since the epoch; from peers.json for a site not seen since a restart); null if never. */
  lastSeenMs: number | null
  /** Events by which it and this node differ, and how long it has lacked the oldest; null until it reported. */
  lag: SiteLag | null
  behind: boolean
  /** How old its last report is (ms); null without one. */
  reportAgeMs: number | null
}

/** One row of `mycel sites --json` (GET /v1/sites): a member's health as this node sees it, with its site record. */
export interface SiteRow extends SiteHealthView {
  /** How this node reaches it while connected: directly, or through a member relay (a site behind NAT); null otherwise. */
  reach: 'direct' | 'relayed' | null
  role: string | null
  /** Its announced default replication mode; null if it announced none. */
  mode: 'eager' | 'on-demand' | 'none' | null
  groups: string[]
  /** The site's own latest report (gossiped, signed): its age, what it holds and lacks, whom it sees; null until one arrived. */
  report: {
    ageMs: number
    /** null until the site has summarised its holdings (within 30 s of its start). */
    holdings: { heldBlobs: number, heldBytes: number, missingKeys: number, missingBytes: number, full?: boolean } | null
    /** Members it has a session with, of those it lists. */
    connected: number
    of: number
  } | null
  /** What the other sites' latest reports say of this one (this node's own view is the row itself). */
  seenBy: Array<{ by: string, byName: string, state: SiteState, lag: number | null, ageMs: number }>
}
