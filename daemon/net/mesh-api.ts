// The mesh's public contract, used by the daemon's composition and by tests. The implementation is
// mesh.ts; createMesh() builds one.

import type { SyncMessage } from '../../protocol/messages.js'
import type { LoopBudget } from '../loop-budget.js'
import type { OffenderLog } from '../log-limit.js'
import type { MessageCodec } from './codec.js'
import type { HostInit, Reach } from './host.js'

/** The host's settings (used when the mesh makes its own host; see createMesh), and the mesh's own. */
export interface MeshInit extends HostInit {
  /** Federation id; peers of another federation are refused in the hello. */
  federation: string
  /** Data dir; the address book lives at <dir>/peers.json. */
  dir: string
  /** Frame payload codec. Default: the core's codec. Tests may pass a trivial one. */
  codec?: MessageCodec
  /** Paces sliced work against the event loop (shared with the daemon's core driver). Default a new one. */
  loop?: LoopBudget
  /** Lines peers cause, per offender per interval. Default one of the mesh's own, on `log`. */
  offenderLog?: OffenderLog
}

export interface MeshHandlers {
  /** A message from a peer that is up. May return a promise: the next frame waits for it. */
  receive: (from: string, message: SyncMessage) => void | Promise<void>
  /** A sync session with this peer is established (hellos exchanged both ways). */
  peerUp: (peer: string) => void
  peerDown: (peer: string) => void
  /** A message to this peer was dropped: its send queue is full (the peer takes too little, too slowly). */
  sendQueueFull?: (peer: string) => void
  /** Membership gate of the host createMesh makes when it is given none; default allow. */
  isAllowed?: (peer: string) => boolean
}

export interface KnownPeer {
  peerId: string
  addrs: string[]
  connected: boolean
  lastSeenMs?: number
}

export interface Mesh {
  readonly peerId: string
  start: () => Promise<void>
  stop: () => Promise<void>
  /** Best-effort: queued on the peer's bounded queue; dropped and counted when full or the peer is down. */
  send: (to: string, message: SyncMessage) => void
  /** Remember (persisted) and keep dialing with backoff. */
  addPeer: (peerId: string, addrs: string[]) => void
  /** Dial a full multiaddr ending in /p2p/<id>; resolves with the peer id once connected. */
  dial: (addr: string) => Promise<string>
  /**
   * Re-apply handlers.isAllowed to current sessions (call after a membership change): sessions with
   * peers no longer allowed are closed (peerDown fires) and those peers are neither dialed nor accepted.
   */
  revalidate: () => void
  /**
   * Count bad input from a peer seen above the mesh (a forged event, a malformed join request):
   * the same strikes and growing bans as bad frames.
   */
  strike: (peer: string, why: string) => void
  /** We admitted this joiner: its first session is accepted for a while even when we are full (invitees.ts). */
  invited: (peer: string) => void
  /** Resolves when a session with the peer is up; rejects with TIMEOUT after timeoutMs. */
  waitForPeer: (peerId: string, timeoutMs: number) => Promise<void>
  connectedPeers: () => string[]
  /** Whether a sync session with the peer is up (cheap; checked between slices of a large message). */
  isUp: (peer: string) => boolean
  listenAddrs: () => string[]
  /** How a connected peer is reached: directly or through a relay (host.ts); undefined when not connected. */
  reachOf: (peer: string) => Reach | undefined
  knownPeers: () => KnownPeer[]
  stats: () => Record<string, number>
}
