// Retention's numbers at a site (the per-run cap on deletes is the core's: protocol/limits.ts).

/**
 * How often a site runs the retention rules it is the runner of (config `retentionIntervalMs`). A
 * minute: retention is housekeeping, a minute late is never late, and each run walks the live keys
 * under every retention rule, which for a million keys is a fraction of a second.
 */
export const DEFAULT_RETENTION_INTERVAL_MS = 60_000

/**
 * Deletes signed one after another before the run waits for them to be durable: a slice is ~100
 * signatures (a few ms), so the event loop and the API are never held long, and a run never has more
 * than a slice of writes outstanding on a slow disk.
 */
export const RETENTION_WRITE_SLICE = 100

/**
 * A runner that leaves the oldest due delete of a rule undone this many intervals (for each place
 * a site stands after it in the order: the second candidate after 3, the third after 6) is taken
 * over: it may be down without this site knowing, stuck, or an older daemon. A healthy runner deletes
 * the oldest due version at its next turn, so the oldest due changes within an interval or two; a
 * second runner is harmless anyway (the same plan, conditional deletes), only wasteful.
 */
export const RETENTION_TAKEOVER_INTERVALS = 3
