// The bounds of blob integrity at rest (integrity.ts, scrub.ts, verified-read.ts), each with why it
// is what it is. Kept apart from constants.ts, the transfer's limits.

/** How long one repair of a damaged copy may take to fetch it again before it waits for the next scrub pass. */
export const BLOB_REPAIR_WAIT_MS = 10 * 60_000

/** Damaged copies remembered for their repair (a disk rotting everywhere is reported, not tracked without end). */
export const MAX_DAMAGED_TRACKED = 10_000

/**
 * Default period of the scrub: every held blob is re-hashed against its manifest once a day. Bit rot
 * is slow; a daily pass at the default rate reads ~1.7 TB a day at most, so a site holding more
 * simply takes longer per pass (passes do not overlap).
 */
export const DEFAULT_SCRUB_INTERVAL_MS = 24 * 3600_000

/**
 * Default read rate of the scrub: 20 MB/s, a small share of any disk's bandwidth, so the scrub never
 * competes with serving and fetching; config `blobScrubBytesPerSec`.
 */
export const DEFAULT_SCRUB_BYTES_PER_SEC = 20_000_000

/** Lowest scrub rate accepted: below, a large blob would take days to check. */
export const MIN_SCRUB_BYTES_PER_SEC = 1_000_000
