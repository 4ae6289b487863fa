// Every limit of the visibility parts (event bus, watch streams, where,
// clock-offset estimates), together, each with why it is what it is.

/** Events buffered for one live subscriber (watch, status page). A subscriber this far behind is dropped, never the daemon: ~256 B each, so ~1 MB worst case per stream. */
export const MAX_SUBSCRIBER_BUFFER = 4096

/** Live subscribers at once (watch streams + pages + webhooks): below MAX_API_CONNECTIONS (64), so watchers can never take every API connection (16 stay free). */
export const MAX_SUBSCRIBERS = 48

/** Recent events kept for the status page and `GET /v1/events?recent=N`; a ring, oldest dropped. */
export const RECENT_EVENTS = 200

// Webhook delivery's limits are in webhooks/constants.ts.

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
