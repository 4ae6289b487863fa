// What the visibility endpoints serve, as plain data; the CLI reads the same
// shapes, so these field names are the --json contract of `where`, `status`
// (per-peer sync fields) and `watch` (VisEvent in events.ts).

export type BytesState = 'held' | 'fetching' | 'missing' | 'unknown'

/** One member's row in `mycel where KEY --json` (the contract, plus `self` and `report`). */
export interface WhereRow {
  peerId: string
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
}

export interface WhereAnswer {
  key: string
  digest: string
  author: string
  seq: number
  stamp: string
  members: WhereRow[]
}

export interface Transfers { pending: number, active: number, failed: number }

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

export interface MemberInfo {
  peerId: string
  role: string | null
  connected: boolean
  self: boolean
}
