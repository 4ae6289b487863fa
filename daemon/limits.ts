// Every limit of the daemon's own parts (store, blobs, local API, driver loop),
// together, each with why it is what it is. The network's limits live in
// daemon/net/; the core's in protocol/.

/** Largest blob one publish accepts. Generous (a site's artifacts can be large) but bounded so a runaway upload cannot fill the disk unnoticed; config `maxBlobBytes` overrides. */
export const DEFAULT_MAX_BLOB_BYTES = 64 * 1024 ** 3

/** Concurrent API connections; beyond, node:http drops new ones. The CLI makes one at a time; this stops a runaway script from exhausting file descriptors. */
export const MAX_API_CONNECTIONS = 64

/** Longest unpaged `GET /v1/keys` answer: beyond, the caller pages (`after`, `limit`) or narrows by prefix (the answer is built in memory). */
export const MAX_LIST_ENTRIES = 100_000

/**
 * Entries in one page of `GET /v1/keys?after=&limit=` without `limit`, and the pages `mycel ls` asks
 * for: ~400 KB of JSON at ~400 B an entry, a few ms to build, so a listing streams without a
 * round trip per handful of keys.
 */
export const DEFAULT_LIST_PAGE_ENTRIES = 1000

/** The largest `limit` a page takes: ~4 MB of JSON, built in tens of ms, so one request never holds the event loop long. */
export const MAX_LIST_PAGE_ENTRIES = 10_000

/** Cap on the delay between two `replica.tick()` calls, so a clock jump never leaves the core asleep long. */
export const TICK_DELAY_MS_MAX = 1000

/** How long a publish waits for its batch to become durable before answering TIMEOUT (a wedged disk). */
export const DURABLE_TIMEOUT_MS = 30_000

/** Events in one LevelDB batch when several persist batches are merged (group commit); bounds one write's size. */
export const MAX_EVENTS_PER_WRITE = 10_000

/** Size of the read buffer when streaming a blob through sha-256 (node's default highWaterMark is 64 KiB). */
export const BLOB_CHUNK_BYTES = 1024 * 1024

/** Length of an invite token we accept (base64url JSON): addresses are few and short. */
export const MAX_INVITE_TOKEN_CHARS = 8 * 1024

/** Listen addresses accepted from config and flags. */
export const MAX_LISTEN_ADDRS = 16

/**
 * Events waiting for the disk beyond which the daemon stops reading from the
 * peer that sent the last message until the queue has drained (the mesh
 * pauses that stream, so yamux stops the sender). Bounds memory when peers
 * deliver faster than fsync keeps up: ~50 000 events is ~25 MB at ~500 B each.
 */
export const MAX_PERSIST_BACKLOG_EVENTS = 50_000

/**
 * Longest stretch one piece of sliced work (a large sync message decoded and taken by the core a
 * slice at a time) runs before it gives way to the event loop (loop-budget.ts). With one slice of
 * the core's at most ~30 ms (protocol/limits.ts RECEIVE_STEP_EVENTS), no input holds the loop much
 * over 50 ms, well inside the 100 ms an API answer may wait.
 */
export const LOOP_SLICE_MS = 20

/**
 * Lines a peer can cause (a refused event, a bad frame) are written once per offender per interval,
 * then summarised with counts (log-limit.ts): 10 s keeps an attack visible within seconds while a
 * flood of 15 000 bad events writes two lines instead of 35 000.
 */
export const LOG_LIMIT_INTERVAL_MS = 10_000

/** Offenders tracked at once per kind of line; lines about more are summed under "(others)". */
export const LOG_LIMIT_MAX_OFFENDERS = 256

/** The longest an invite token may live (`mycel invite --ttl`): a year and a day. Here, not in federation/ops.ts, so the CLI checks it without loading the federation's code. */
export const MAX_INVITE_TTL_MS = 366 * 24 * 60 * 60_000
