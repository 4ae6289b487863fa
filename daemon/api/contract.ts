// What the local API serves, as plain data. The daemon implements NodeApi; the
// HTTP layer (server.ts, routes.ts) only translates. The CLI reads the same
// shapes (cli/api-client.ts), so these field names are the --json contract.

import type { InviteRequest, InviteResult, MemberInfo, RevokeResult } from '../federation/ops.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

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

export interface PublishResult extends Entry {}

export interface RemoveResult {
  key: string
  author: string
  stamp: string
}

export interface PeerLag {
  peerId: string
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

export interface PeerInfo extends PeerLag {
  connected: boolean
  addrs: string[]
}

export interface StatusInfo {
  peerId: string
  federation: string
  /** This node's role in the federation now; null when not (yet, or no longer) a member. */
  role: string | null
  listen: string[]
  api: string
  peers: PeerLag[]
  keys: number
  tombstones: number
  /** Hex digest of the replicated state (winners, tombstones included): equal on two nodes iff they hold the same state. */
  digest: string
  dir: string
  version: string
  uptimeMs: number
  /** Counters of the core (and the network, under `net`) for diagnostics; not a stable contract. */
  stats: Record<string, unknown>
}

export interface NodeApi {
  status: () => StatusInfo
  peers: () => PeerInfo[]
  list: (prefix: string) => Entry[]
  get: (key: string) => Entry | undefined
  publish: (key: string, props: Record<string, string>, body: AsyncIterable<Uint8Array>) => Promise<PublishResult>
  remove: (key: string) => Promise<RemoveResult>
  invite: (req?: InviteRequest) => InviteResult
  members: () => MemberInfo[]
  revoke: (peer: string) => Promise<RevokeResult>
  /** `mycel join`: a running node joins the federation of a token (see Daemon.switchFederation). */
  join: (token: string, via: string[]) => Promise<JoinResult>
  /** GET /v1/blobs/... (daemon/blob/routes.ts); absent ⇒ those routes answer NOT_FOUND. */
  blobRoute?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>
}

export interface JoinResult {
  federation: string
  role: string | null
  /** The member that admitted us; null when we were already in that federation. */
  member: string | null
  /** False when the node already belonged to the token's federation. */
  switched: boolean
}
