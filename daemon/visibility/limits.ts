// Every limit of the visibility parts (event bus, watch streams, webhooks,
// where, clock-offset estimates), together, each with why it is what it is.

/** Events buffered for one live subscriber (watch, status page). A subscriber this far behind is dropped, never the daemon: ~256 B each, so ~1 MB worst case per stream. */
export const MAX_SUBSCRIBER_BUFFER = 4096

/** Live subscribers at once (watch streams + pages + webhooks): below MAX_API_CONNECTIONS (64), so watchers can never take every API connection (16 stay free). */
export const MAX_SUBSCRIBERS = 48

/** Recent events kept for the status page and `GET /v1/events?recent=N`; a ring, oldest dropped. */
export const RECENT_EVENTS = 200

/** Webhooks one config may declare: each has a queue and a worker. */
export const MAX_WEBHOOKS = 16

/** Events queued for one webhook; beyond, the oldest is dropped and counted (a dead endpoint must not grow memory). */
export const WEBHOOK_QUEUE_MAX = 1000

/** Delivery attempts for one event before it is given up (logged, counted). */
export const WEBHOOK_ATTEMPTS_MAX = 5

/** First retry delay; doubles each attempt (with ±20 % jitter) up to WEBHOOK_BACKOFF_MS_MAX. */
export const WEBHOOK_BACKOFF_MS = 250

/** Longest retry delay: a receiver down for minutes is retried at least this often until attempts run out. */
export const WEBHOOK_BACKOFF_MS_MAX = 10_000

/** One POST's deadline; a hung receiver must not hold the queue forever. */
export const WEBHOOK_TIMEOUT_MS = 5_000

/** Clock-offset samples kept per peer (see peer-sync.ts); the estimate is their maximum. */
export const OFFSET_SAMPLES = 16

/** An offset above this fraction of the core's maxClockOffsetMs is reported with a warning. */
export const OFFSET_WARN_FRACTION = 0.5

/** Peers the sync tracker remembers (direct and relayed reports); members are few. */
export const MAX_TRACKED_PEERS = 4096

/** Members one `where` answer lists. */
export const MAX_WHERE_ROWS = 4096

/** Longest server-side wait of `GET /v1/where/<key>?wait=...` (publish --wait-replicas polls within it). */
export const MAX_WAIT_MS = 3_600_000
