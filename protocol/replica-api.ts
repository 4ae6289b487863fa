// The contract between the core and its drivers (the libp2p daemon and the
// simulator). A driver constructs a Replica, feeds it inputs (local writes,
// received messages, peer up/down, timer ticks) and carries out its outputs
// (send a message, persist a batch). The core never does I/O itself.

import type { Event, NewEventBody } from './event.js'
import type { Stamp } from './hlc.js'
import type { SyncMessage, VersionVectorEntries } from './messages.js'
import type { Genesis } from './invite.js'
import type { RuleSet } from './rules.js'
import type { Membership } from './membership.js'
import type { Clock, Random, Signer, Verifier } from './ports.js'

export interface ReplicaInit {
  /** This node's author id (a libp2p peer id string in the daemon, "n0".. in the simulator). */
  id: string
  /** Remote stamps further ahead than this are held, not obeyed. Default 60 000 ms. */
  maxClockOffsetMs?: number
  /** How often to start an anti-entropy round with a random connected peer. Default 1000 ms. */
  antiEntropyIntervalMs?: number
  /**
   * When several peers come up at once (a partition heal), the first gets an
   * anti-entropy round at once and the others one at a time, this far apart,
   * for at most one anti-entropy interval (catch-up.ts). Default 250 ms.
   */
  catchUpSpacingMs?: number
  /** How long new events wait to be pushed together. Default 10 ms. */
  pushDelayMs?: number
  /** Peers a new event of our own is pushed to. Default 32 (small federations: every peer, in one hop). */
  pushFanout?: number
  /** Peers a relayed push goes on to, when the mesh is larger than our connections. Default 2. */
  relayFanout?: number
  /** Hops a push may travel beyond the origin's peers, when the mesh is larger than our connections. Default 2. */
  pushTtl?: number
  /** Largest encoded size of one events/push message. Default 1 MiB. */
  maxBatchBytes?: number
  /** Most events held back for clock offset at once; beyond, the sender holding the most gives way (held-events.ts; anti-entropy re-delivers). Default 10 000. */
  maxHeldEvents?: number
  /** Most encoded bytes held back at once, all senders together; same rule. Default 8 MiB. */
  maxHeldBytes?: number
  /** Events stamped further ahead than this are refused, not held (offered again later). Default 10 min. */
  maxHoldAheadMs?: number
  /** Anti-entropy rounds between our signed acknowledgements (acks.ts). Default 5. */
  ackEveryRounds?: number
  /**
   * The federation's genesis. When given, every event is authorized against
   * the membership (docs/federation.md) and superseded versions are retained
   * until stable. Absent: an open mesh (the simulator's default).
   */
  genesis?: Genesis
  /**
   * Keep each connected peer's last reported version vector (for `peerStatus().vv`).
   * Default true; a simulator of a thousand nodes turns it off to save memory
   * (lag figures are kept either way).
   */
  keepPeerVersionVectors?: boolean
  /**
   * Collect tombstones and superseded versions once stable (acks, O(members²)
   * in all). Default true; a simulator of a thousand nodes turns it off.
   */
  collectStable?: boolean
}

/** Everything the core writes, to be made durable atomically and in order. */
export interface PersistBatch {
  /** Increasing batch number; pass it to markDurable once the batch is on disk. */
  n: number
  /** Events that became winners (store them). */
  put: Event[]
  /** Events that lost their place (superseded, or collected tombstones): delete them. */
  remove: Array<{ author: string, seq: number, key: string }>
  /**
   * Keys whose winner changed, with the new winner's (author, seq), or null
   * when the key is gone: the LWW index to store. (In a federation several
   * versions of a key are stored — `put` — but only one is the winner.)
   */
  winners: Array<[key: string, winner: { author: string, seq: number } | null]>
  /** Version-vector entries that changed. */
  vv: VersionVectorEntries
  /** The HLC high-water mark after this batch. */
  highWater: Stamp
}

/** What a driver loads from disk to restart a replica. */
export interface ReplicaSnapshot {
  events: Event[]
  vv: VersionVectorEntries
  highWater: Stamp
}

export interface ReplicaComponents {
  clock: Clock
  random: Random
  signer: Signer
  verifier: Verifier
  /** Deliver a message to a peer; best-effort (the core tolerates loss). */
  send: (to: string, message: SyncMessage) => void
  /** Make a batch durable, then call replica.markDurable(batch.n). */
  persist: (batch: PersistBatch) => void
  /**
   * Policy hook: may `event` be applied? Returns a reason to refuse, or
   * undefined. Membership (issue 6) plugs in here. Default: accept all.
   */
  authorize?: (event: Event) => string | undefined
  /** Told of every change to the state (for watch, metrics, blob fetching). */
  observer?: ReplicaObserver
  /**
   * The current members (author ids) whose acknowledgement a tombstone needs
   * before it may be collected. Absent ⇒ tombstones are kept forever.
   */
  members?: () => string[]
  /**
   * How many other members the federation has (connected or not). When it
   * exceeds our connected peers, one hop of push cannot reach everyone and
   * pushes are relayed. Default: members() - 1, else the connected count (no relaying).
   */
  peerCount?: () => number
}

export interface ReplicaObserver {
  /** `event` is now the winner of its key; `previous` was (if any). `local` when written here. */
  applied?: (event: Event, previous: Event | undefined, local: boolean) => void
  /** An event was refused (bad signature, not authorized, ...). */
  rejected?: (event: Event | undefined, from: string, reason: string) => void
  /** An event was held back because its stamp is too far ahead. */
  held?: (event: Event, from: string) => void
  /** The hold queue was full: this event of `from`'s (the sender holding the most) was dropped or refused. */
  shed?: (event: Event, from: string) => void
  /** A held event became invalid (its author was revoked) and was removed; `winner` is the key's winner now. */
  removed?: (event: Event, winner: Event | undefined) => void
}

export interface ReplicaStats {
  applied: number
  duplicates: number
  superseded: number
  rejected: number
  held: number
  heldNow: number
  /** Encoded bytes of the events held now. */
  heldBytes: number
  /** Events dropped from, or refused by, the full hold queue (the heaviest sender's). */
  heldShed: number
  /** Events refused for a stamp beyond maxHoldAheadMs. */
  tooFarAhead: number
  /** Events not pushed on because the push queue was full (left to anti-entropy). */
  pushesDropped: number
  released: number
  messagesOut: number
  antiEntropyRounds: number
  tombstonesCollected: number
  versionsCollected: number
  invalidated: number
  /** Signed contradictions noticed (faults.ts), and fault events this replica wrote of them. */
  faultsNoticed: number
  faultsWritten: number
  /** Ack rows refused: not signed by the member they speak for. */
  acksRefused: number
}

export interface ReplicaApi {
  readonly id: string
  /**
   * Author a local event; it is pushed to peers only after markDurable covers it.
   * write() calls persist() synchronously before returning: the event's batch
   * is lastBatchNumber(). The write is acknowledged once that batch is durable.
   */
  write(body: NewEventBody): Event
  lastBatchNumber(): number
  /** The driver's acknowledgement that persist batch `n` (and all before it) is durable. */
  markDurable(n: number): void
  /** A message arrived from peer `from`. Never throws on bad input; refuses and counts. */
  receive(from: string, message: SyncMessage): void
  peerUp(peer: string): void
  peerDown(peer: string): void
  /**
   * Run what is due; returns the monotonic time (ms) at which to call tick next.
   * Call it after EVERY input too (write, receive, peerUp, markDurable): inputs
   * can schedule work sooner (a push flush pushDelayMs later) than the deadline
   * the previous tick returned. It is cheap when nothing is due.
   */
  tick(): number
  /** The deadline tick() would return, without running anything. */
  nextTickMs(): number
  /** The winning event of a key (a put or a tombstone). */
  get(key: string): Event | undefined
  /** Live (non-tombstone) winners whose key starts with prefix, sorted by key. */
  live(prefix?: string): Event[]
  /** Up to `limit` of those with a key greater than `after`; `more` when others follow (LwwState.page). */
  page(prefix: string, after: string | undefined, limit: number): { events: Event[], more: boolean }
  /** Counts of live keys and tombstones. */
  counts(): { keys: number, tombstones: number }
  /** A digest two replicas compare: equal iff (barring hash collisions) same winners. */
  digest(): Uint8Array
  versionVector(): VersionVectorEntries
  /** The HLC high-water mark (also carried by every PersistBatch). */
  highWater(): Stamp
  /** Peers currently up (peerUp without peerDown). */
  connectedPeers(): string[]
  /** A connected peer's last reported coverage (from its vv messages) and last sync time (monotonic ms). */
  peerStatus(peer: string): { vv?: VersionVectorEntries, ahead?: number, behind?: number, lastSyncMs?: number } | undefined
  stats(): ReplicaStats
  /** The federation's membership view, when this replica belongs to one. */
  members?(): Membership | undefined
  /** The artifact rules this replica enforces now (rules.ts) and the event that set them; a federation's only. */
  rules?(): { set: RuleSet, event?: Event }
}
