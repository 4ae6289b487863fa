// Every bound of the core in one place, with the reason for its value.

/** A key is a path-like name; 1 KiB is far above any sane artifact path yet keeps an event small. */
export const MAX_KEY_BYTES = 1024
/** Properties are labels (version, platform, ...), not content. */
export const MAX_PROPS = 64
export const MAX_PROP_KEY_BYTES = 128
export const MAX_PROP_VALUE_BYTES = 1024
/** A libp2p peer id string is ~52 characters; leave room for other id schemes. */
export const MAX_AUTHOR_BYTES = 128
/** Ed25519 signatures are 64 bytes; allow other schemes up to 128. */
export const MAX_SIG_BYTES = 128
/** An invite token: genesis, inviter, a few addresses, a signature — well under 4 KiB. */
export const MAX_INVITE_BYTES = 4096
/** Listen addresses one member announces (IPv4, IPv6, a few ports). */
export const MAX_ADDRS = 16
/** One multiaddr as text, /p2p/ suffix included. */
export const MAX_ADDR_BYTES = 256
/** One encoded event: the fields above fit comfortably in 16 KiB; larger is hostile. */
export const MAX_EVENT_BYTES = 16 * 1024
/** Sequence numbers and sizes must stay exact in a JS number. */
export const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** One encoded sync message (a batch of events plus framing); frames are capped at this before buffering. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024
/** Default byte budget of one events/push batch: big enough to amortise framing, small enough to interleave. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024
/** Events in one message: MAX_MESSAGE_BYTES / smallest plausible event (~100 B), rounded. */
export const MAX_EVENTS_PER_MESSAGE = 50_000
/** Version-vector entries in one message: one per author; federations are sites, not millions of peers. */
export const MAX_VV_ENTRIES = 100_000
/**
 * Members listed in one membership event's view (`seen`): a federation is
 * sites, not crowds; at ~60 bytes an entry this keeps the event under the
 * 16 KiB event cap with room to spare for the token.
 */
export const MAX_SEEN_ENTRIES = 200
/** Groups one site names itself into (`publish --wait-group`). */
export const MAX_SITE_GROUPS = 16
/** Per-prefix replication modes one site announces (its config's `replicatePrefixes`). */
export const MAX_POLICY_PREFIXES = 64
/** Ack-table rows in one acks message. */
export const MAX_ACK_ROWS = 1024
/** (author, seq, id prefix) entries in one ids message: ~70 bytes each, well inside a batch. */
export const MAX_IDS_PER_MESSAGE = 8192
/** Bytes of ids one reconciliation answer lists (per author, newest first): the rest waits for the next round. */
export const IDS_BUDGET_BYTES = 256 * 1024
/** A peer gets our per-author fingerprints at most this often (only while coverage is equal and digests are not). */
export const FINGERPRINT_INTERVAL_MS = 5000
/** Hops a push may still travel. */
export const MAX_PUSH_TTL = 8

/** Batches one anti-entropy response may span before it says `more` and waits to be asked again. */
export const ANTI_ENTROPY_BATCHES_PER_RESPONSE = 4
/**
 * A pull (a multi-part anti-entropy response) counts as running while its parts
 * keep coming within this; meanwhile that peer gets no other vv from us. Long
 * enough to cover building, sending and applying one response (≤ 4 batches),
 * short enough that a lost part delays the next round by about one interval.
 */
export const PULL_IDLE_MS = 2000
/** Peers waiting for a catch-up round after coming up (catch-up.ts); one per connection at most. */
export const MAX_CATCH_UP_QUEUE = 1024
/** Events received ahead of a gap in one author's sequence that are tracked individually. */
export const MAX_PENDING_SEQS_PER_AUTHOR = 100_000
/** Queued events awaiting a push flush; beyond, the newest are left to anti-entropy. */
export const MAX_PUSH_QUEUE = 10_000
/**
 * Encoded bytes of the events awaiting a push flush. The queue is emptied every pushDelayMs (10 ms),
 * so only a few large inputs at once can fill it: 16 full batches. Beyond, the newest are left to
 * anti-entropy. (The events are shared with the state, but one may be superseded while it waits.)
 */
export const MAX_PUSH_QUEUE_BYTES = 16 * DEFAULT_MAX_BATCH_BYTES
/** How often held (future-stamped) events are re-examined. */
export const HELD_RECHECK_MS = 1000
/** Events held back for clock offset at once (held-events.ts); beyond, the heaviest sender gives way. */
export const MAX_HELD_EVENTS = 10_000
/**
 * Encoded bytes of the events held back, all senders together. An honest member whose clock runs
 * fast writes what a site writes in a minute or two: 8 MiB is ~16 000 events of 500 B. A flood of
 * 16 KiB events fills it with ~500 and costs ~20 MiB of memory (decoded fields included), not 500.
 */
export const MAX_HELD_BYTES = 8 * 1024 * 1024
/**
 * An event stamped further ahead of local time than this is refused, not held: it could not apply
 * for that long, and anti-entropy offers it again (it is not counted as seen). Far above any clock
 * offset an honest site runs with (the hold bound is 60 s), far below "a year ahead", whose events
 * would otherwise sit in memory for a year.
 */
export const MAX_HOLD_AHEAD_MS = 10 * 60_000
/**
 * A step when a driver takes a large push or events message in steps (Replica.receiveSteps): at
 * most this many events and about this many bytes (a step ends once it holds that much). Signature
 * checks cost ~50–250 µs an event here (more for large events, whose signed bytes are hashed), so a
 * step is a few tens of ms of work at worst.
 */
export const RECEIVE_STEP_EVENTS = 128
export const RECEIVE_STEP_BYTES = 256 * 1024
/**
 * Deletes one retention run writes (retention.ts); the next run continues. A delete is one signed
 * event of ~250 B: 1000 are ~250 KB to persist and push, a fraction of a second of signing, so a
 * rule that suddenly covers a million old keys is worked off at 1000 a run instead of one burst of a
 * million tombstones through every site's disk and links. At one run a minute that is 1.4 M a day.
 */
export const MAX_RETENTION_DELETES_PER_RUN = 1000
