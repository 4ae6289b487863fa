// Every bound of the network layer, in one place, with the reason for its value
// (STYLE.md point 10). Mesh tests override a few through MeshInit.limits so they
// run in seconds; production uses these defaults.

import { MAX_MESSAGE_BYTES } from '../../protocol/limits.js'

/** The sync protocol; the version is part of the id so a 2.0.0 can run beside it. */
/** Version 2: membership events carry views, acks are signed rows, fault proofs and reconciliation (docs/federation.md). */
export const SYNC_PROTOCOL = '/mycel/sync/2.0.0'

/** Version of the hello/welcome handshake carried in the first frame each way. */
export const HELLO_VERSION = 1

export const KiB = 1024
export const MiB = 1024 * KiB

export interface NetLimits {
  /**
   * Largest frame payload accepted or sent: the core's own message cap (4 MiB), since a frame carries
   * exactly one message and the core never encodes a larger one. Checked on the length prefix BEFORE
   * any payload is buffered.
   */
  maxFrameBytes: number
  /** Largest hello/welcome frame: they carry a version and a federation id, nothing more. */
  maxHelloBytes: number
  /** The handshake (hello one way, welcome back) must finish within this, or the stream is aborted. */
  helloTimeoutMs: number
  /**
   * A writer waiting for the remote to drain longer than this is stuck on a slow or dead peer: its
   * stream is aborted (and the session redone) rather than holding the queue forever.
   */
  drainTimeoutMs: number
  /**
   * Per-peer outbound queue, in messages and bytes. The core tolerates loss (anti-entropy repairs
   * it), so when a peer cannot keep up we drop rather than let memory grow. 256 messages / 16 MiB
   * covers a burst of pushes plus a few full event batches.
   */
  sendQueueMessages: number
  sendQueueBytes: number
  /**
   * Bytes a sync stream may hold in its own write buffer before the writer waits. Small, because that
   * buffer is outside our queue's bound; 1 MiB keeps a yamux window's worth of pipe busy on a LAN.
   */
  streamWriteBufferBytes: number
  /**
   * Queued frames are joined into writes of up to this many bytes (a larger single frame goes alone).
   * 64 KiB is yamux's default message size: one write, one yamux frame, one Noise message.
   */
  writeBatchBytes: number
  /**
   * Per-peer inbound frames decoded but not yet taken by the handler. Above either mark the stream is
   * paused, so yamux stops granting window and the sender's writes wait. The inbox may pass its mark by
   * the one transport chunk that crossed it (at most one yamux window).
   */
  receiveQueueMessages: number
  receiveQueueBytes: number
  /**
   * yamux per-stream receive window ceiling. While a stream is paused the remote may still send up to
   * one window, which lands in the stream's read buffer; so the read buffer must hold a full window
   * (see notes/stack.md, "the read-side trap"). 8 MiB keeps throughput near the 16 MiB default on
   * loopback while halving the worst-case memory per paused stream.
   */
  yamuxMaxWindowBytes: number
  /** Read buffer per stream: one full window plus slack for frame headers. */
  yamuxMaxReadBufferBytes: number
  /**
   * Inbound /mycel/sync streams per connection. A session needs one each way; two more allow a
   * restarted session to replace a stale one before the old stream's reset arrives.
   */
  maxInboundStreams: number
  maxOutboundStreams: number
  /** Connections of members beyond maxPeers (a member refused 'full' stays connected a while; blob fetches). */
  extraConnections: number
  /** libp2p's per-host inbound connection rate; raised because several nodes may share one host. */
  inboundConnectionsPerSecond: number
  /**
   * Inbound connections of peers that have not proven membership (slots.ts), in all and per remote
   * IP. libp2p's maxConnections is maxPeers + extraConnections + maxStrangers, so strangers can never
   * take members' connections. 32 in all lets a few joins run beside dozens of idle probes; 8 per IP
   * lets a NAT of sites join at once while one host cannot take a quarter of all the slots.
   */
  maxStrangers: number
  maxStrangersPerIp: number
  /**
   * A stranger must prove membership within this (become a member through a join, or be in one) or is
   * closed. Also libp2p's inbound upgrade timeout: a connection still in its Noise handshake after
   * this is dropped. 5 s is the join request's own deadline, and ample on any link a site uses.
   */
  strangerDeadlineMs: number
  /** A stranger may be evicted for a newcomer once it has been connected this long without starting a join. */
  strangerGraceMs: number
  /**
   * Redial backoff for known peers that are down: base doubles per failure up to max, ±50% jitter.
   * The cap is low (1.5 s, so at most ~2.25 s between attempts) so that a restarted site is back within
   * about 2 s whichever side dials; a failed dial to a down site costs one TCP attempt, and at most
   * maxPeers of them run at once.
   */
  redialBaseMs: number
  redialMaxMs: number
  /** How often the mesh checks which known peers need dialing. */
  maintainIntervalMs: number
  /** Bad frames (oversized, undecodable, bad hello) a peer may send within strikeWindowMs before a ban. */
  maxStrikes: number
  strikeWindowMs: number
  /** First ban lasts banBaseMs; each further ban doubles it, up to banMaxMs. */
  banBaseMs: number
  banMaxMs: number
  /** Addresses remembered per peer and peers remembered in peers.json. */
  maxAddrsPerPeer: number
  maxKnownPeers: number
  /** Dials to one address must finish in this (libp2p's default is 10 s; peers are on a LAN/WAN, not Tor). */
  dialTimeoutMs: number
}

export const DEFAULT_LIMITS: Readonly<NetLimits> = Object.freeze({
  maxFrameBytes: MAX_MESSAGE_BYTES,
  maxHelloBytes: 1 * KiB,
  helloTimeoutMs: 5_000,
  drainTimeoutMs: 30_000,
  sendQueueMessages: 256,
  sendQueueBytes: 16 * MiB,
  streamWriteBufferBytes: 1 * MiB,
  writeBatchBytes: 64 * KiB,
  receiveQueueMessages: 64,
  receiveQueueBytes: 8 * MiB,
  yamuxMaxWindowBytes: 8 * MiB,
  yamuxMaxReadBufferBytes: 9 * MiB,
  maxInboundStreams: 4,
  maxOutboundStreams: 4,
  extraConnections: 8,
  inboundConnectionsPerSecond: 50,
  maxStrangers: 32,
  maxStrangersPerIp: 8,
  strangerDeadlineMs: 5_000,
  strangerGraceMs: 1_000,
  redialBaseMs: 250,
  redialMaxMs: 1_500,
  maintainIntervalMs: 250,
  maxStrikes: 3,
  strikeWindowMs: 60_000,
  banBaseMs: 30_000,
  banMaxMs: 6 * 60 * 60_000,
  maxAddrsPerPeer: 8,
  maxKnownPeers: 1_024,
  dialTimeoutMs: 10_000
})

/**
 * Circuit relay v2 (docs/deployment.md "Sites behind NAT"). Every reachable node relays for members
 * only (the gater in libp2p-node.ts refuses anyone else), so these bound what members can cost it.
 *
 * libp2p's defaults cut every relayed connection after 128 KiB or 2 minutes: meant for the few
 * kilobytes DCUtR needs before it upgrades the connection. Between mycel members the relayed
 * connection carries sync sessions and blob chunks until (unless) DCUtR upgrades it, which on TCP
 * works only when one side can be dialled (the NAT'd side dials out). Two sites behind NAT stay
 * relayed for good. So the limits are set for real traffic:
 *   - data: 4 GiB per relayed connection, both directions together. A blob is fetched in chunks and a
 *     download resumes from its partial file, so a cut costs a redial (the mesh redials at once, through
 *     the relay again, with a fresh allowance), not the transfer.
 *   - duration: 1 h per relayed connection, the same reasoning; a member site sees its relayed peer go
 *     down and up once an hour at worst.
 * Neither bounds the relay's bandwidth rate: relayed bytes are not under maxUploadBytesPerSec. What
 * bounds the relay's load is who can use it (members only) and how many connections it carries:
 *   reservations 32 (NAT'd member sites held at once) × 32 relayed connections per site at once
 *   (the mesh keeps at most maxPeers sessions, 8 by default, so 32 leaves room for redials racing
 *   the old connection's close).
 */
export const RELAY_LIMITS = Object.freeze({
  /** NAT'd members holding a reservation on this relay at once (libp2p default 15). */
  maxReservations: 32,
  /** A reservation lives this long unless refreshed; the holder refreshes it 5 min before (libp2p default 2 h). */
  reservationTtlMs: 60 * 60 * 1000,
  /** Bytes a relayed connection carries, both directions, before the relay cuts it (libp2p default 128 KiB). */
  connectionDataBytes: 4n * 1024n * 1024n * 1024n,
  /** How long a relayed connection lasts before the relay cuts it (libp2p default 2 min). */
  connectionDurationMs: 60 * 60 * 1000,
  /**
   * Relayed connections at once to one reserved site (the relay's STOP streams on its connection to
   * that site), and the same number accepted by a NAT'd site (its inbound STOP streams). libp2p default 300.
   */
  maxRelayedPerPeer: 32,
  /** HOP streams (reserve / connect requests, and live relayed connections) per connection to the relay. */
  maxHopStreamsPerPeer: 32,
  /** A NAT'd site that holds no reservation tries its connected members again this often. */
  reserveRetryMs: 15_000
})
