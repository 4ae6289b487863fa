// Every limit of the blob layer, together, each with why it is what it is.

const MiB = 1024 * 1024

export const BLOB_PROTOCOL = '/mycel/blob/1.0.0'

/** Default chunk size of a manifest: big enough that per-chunk overhead (a frame, a hash, a write) is noise, small enough that a lost chunk costs little. Config `blobChunkBytes`. */
export const DEFAULT_CHUNK_BYTES = MiB

/** Smallest and largest chunk a manifest may declare. The upper bound keeps one chunk frame far below yamux's 9 MiB read buffer (see notes/stack.md). */
export const MIN_CHUNK_BYTES = 4 * 1024
export const MAX_CHUNK_BYTES = 4 * MiB

/** Largest manifest: 64 GiB of 1 MiB chunks is 64 Ki hashes ≈ 2 MiB. A manifest travels in one frame. */
export const MAX_MANIFEST_BYTES = 3 * MiB

/** Largest frame either side accepts: one chunk plus its small header, or one manifest. */
export const MAX_BLOB_FRAME_BYTES = MAX_CHUNK_BYTES + 1024

/** Largest control frame a server accepts (a have query of MAX_HAVE_DIGESTS digests, a range request). */
export const MAX_REQUEST_FRAME_BYTES = 64 * 1024

/** Digests in one "which of these do you have" query. */
export const MAX_HAVE_DIGESTS = 1024

/**
 * Bytes asked for in one "send chunks i..j" request (whole chunks, at least one, at most
 * RANGE_CHUNKS_MAX so small-chunk blobs still spread over holders), and bytes outstanding per holder
 * (at most REQUESTS_IN_FLIGHT requests). What one holder can have on the way to us is bounded by
 * IN_FLIGHT_BYTES (or one chunk, if larger), which bounds what can pile up in the stream's read
 * buffer (the read-side trap): 6 MiB < yamux's 9 MiB read buffer. With 1 MiB chunks: 3 requests of 2.
 */
export const RANGE_BYTES = 2 * MiB
export const RANGE_CHUNKS_MAX = 8
export const IN_FLIGHT_BYTES = 6 * MiB
export const REQUESTS_IN_FLIGHT = 3

/** Chunks of one stream being verified and written while the next ones are read. */
export const CHUNKS_PROCESSING_MAX = 4

/** Requests a server keeps queued per stream before it considers the client abusive. */
export const MAX_QUEUED_REQUESTS = 16

/** Inbound blob streams per connection: one per concurrent fetch, plus short have/manifest queries. */
export const MAX_BLOB_STREAMS = 16

/** Bytes a serving stream may hold in its write buffer before it waits (the drain wait of daemon/net/stream-io.ts sendFrame). */
export const SERVE_WRITE_BUFFER_BYTES = 2 * MiB

/** A holder that sends nothing for this long on a request is dropped from the fetch and its chunks move elsewhere. */
export const STALL_TIMEOUT_MS = 10_000

/**
 * End game: a chunk in flight to one holder for this long may also be asked of an idle holder. Far
 * above a chunk's transfer time on any usable link (1 MiB at 10 MB/s is 0.1 s), so a healthy fetch
 * never receives a chunk twice; well below STALL_TIMEOUT_MS, so a slow site does not hold the tail.
 */
export const ENDGAME_AFTER_MS = 2_000

/** Bad chunks from one holder after which a fetch stops asking it. One may be a flipped bit in transit; three is a bad disk or a liar. */
export const MAX_BAD_CHUNKS_PER_HOLDER = 3

/** How long a have query or a manifest request may take before the peer counts as not holding. */
export const QUERY_TIMEOUT_MS = 5_000

/** Peers asked "which of these do you have" per lookup (the connected members, bounded). */
export const MAX_PEERS_ASKED = 16

/** Blob fetches the eager mirror runs at once: enough to overlap latency, few enough to leave bandwidth for explicit fetches. */
export const MIRROR_CONCURRENCY = 2

/** Mirror retry backoff: first and largest delay; attempts per trigger. */
export const MIRROR_RETRY_MS_MIN = 1_000
export const MIRROR_RETRY_MS_MAX = 60_000
export const MIRROR_ATTEMPTS_MAX = 20

/** Pending mirror jobs; beyond this new puts wait for the next restart's scan (metadata never waits). */
export const MAX_MIRROR_QUEUE = 100_000

/** Default grace before an unreferenced blob is deleted; config `blobGraceMs`. */
export const DEFAULT_BLOB_GRACE_MS = 10 * 60_000

/**
 * The bitmap sidecar of a partial download is rewritten at most this often (and at close). A crash
 * loses at most this long's worth of progress (those chunks are fetched again); rewriting it every
 * 16 chunks cost 1.3–2 s per 512 MiB fetch here.
 */
export const BITMAP_FLUSH_MS = 200

/**
 * A download flushes its partial file to disk in the background every this many bytes (fdatasync on
 * the thread pool while chunks keep coming), so the fsync before it is adopted is short. Small enough
 * that the kernel never holds much of a fetch dirty, large enough that flushes are few (32 per GiB).
 */
export const PARTIAL_FLUSH_BYTES = 32 * MiB

/** Peers whose blob traffic is counted (peer-traffic.ts): a federation's members, with room; past it a new peer's traffic goes uncounted. */
export const MAX_TRAFFIC_PEERS = 1024

/** The blob directory's disk use is measured (a walk of <dir>/blobs) at most this often, and only while someone reads it. */
export const DISK_USAGE_MAX_AGE_MS = 10_000
/** …or this many times as long as the last walk took, if that is longer (about 1 % of the time walking: disk-usage.ts). */
export const DISK_USAGE_COST_FACTOR = 100

/**
 * The replication factor (placement-keeper.ts). A site down this long stops counting as a holder and
 * the next in the placement order fetches a copy: long enough that a restart, an upgrade or a short
 * network cut moves no bytes, short enough that a site lost for good is replaced within minutes.
 */
export const PLACEMENT_DOWN_GRACE_MS = 10 * 60_000
/** How often the set of sites down past the grace is looked at (a change places every blob again). */
export const PLACEMENT_DOWN_CHECK_MS = 30_000
/** Every blob is placed again this often, so a copy the mirror gave up on is fetched again. */
export const PLACEMENT_RESWEEP_MS = 10 * 60_000
/** A change of who may hold (a grant, a revoke, a site record, a rules event) places every blob again after this quiet time: a join writes several events at once. */
export const PLACEMENT_SWEEP_DEBOUNCE_MS = 500
/** ...but no later than this after the first of them: a catch-up of a big federation's membership events must not put the sweep off for as long as it lasts. */
export const PLACEMENT_SWEEP_DELAY_MS_MAX = 5_000
/** Keys placed per turn of the event loop: 256 placements of a few dozen hashes each are well under a millisecond. */
export const PLACEMENT_SLICE_KEYS = 256
/** Blobs queued by new puts; past it the queue is dropped for one sweep of every blob (which covers them). */
export const MAX_PLACEMENT_QUEUE = 10_000

/**
 * The smallest disk quota accepted (config quotaBytes, --quota): below it hardly a blob fits, and a
 * bare number is bytes, so `--quota 50` (meant as 50 GB?) is caught as a mistake instead of refusing
 * every fetch.
 */
export const MIN_QUOTA_BYTES = MiB

/** Uses of blobs waiting to be appended to the quota's last-used journal (80 bytes each); past it they are dropped, as ordering hints. */
export const QUOTA_JOURNAL_MAX_PENDING = 10_000

/** The last-used journal is rewritten once it holds more than twice the blobs' count plus this many lines (so a small store does not rewrite it often). */
export const QUOTA_JOURNAL_SLACK_LINES = 4_096

/** Files stat'ed at once when the quota counts the blob directory at start (one stat per blob). */
export const QUOTA_LOAD_STATS_IN_FLIGHT = 64
