// Every bound the simulator puts on itself, in one place, each with its reason.

/** Largest federation a run may simulate: memory is ~O(nodes × keys) for replica state plus the virtual disks. */
export const MAX_NODES = 5000

/** Most writes one run may issue: the history keeps one record (and a node bitset) per write. */
export const MAX_WRITES = 1_000_000

/** Longest safety phase: virtual time is cheap, but a typo like 60h should be refused, not simulated. */
export const MAX_DURATION_MS = 24 * 3_600_000

/** Most seeds one sweep may run. */
export const MAX_SWEEP = 100_000

/** Up to this many nodes every pair is linked (a small federation is a full mesh, as in the daemon). */
export const FULL_MESH_MAX = 32

/**
 * Beyond FULL_MESH_MAX, each node links to its two ring neighbours plus this many random others; links are
 * symmetric, so the mean degree is about 2 + 2·RANDOM_LINKS ≈ 22 — a bounded neighbour set like a real
 * libp2p connection manager's, and the ring keeps the graph connected whatever the draw.
 */
export const RANDOM_LINKS = 10

/** Messages a paused node buffers (as a socket buffer would); beyond, new ones are dropped. */
export const PAUSED_INBOX_MAX = 10_000

/** Fixed per-message overhead counted in bytes: frame length prefix, type tag, stream framing. */
export const MESSAGE_OVERHEAD_BYTES = 16

/** Per version-vector entry beyond the author id: a varint sequence number and map framing. */
export const VV_ENTRY_OVERHEAD_BYTES = 6

/** Per event in a batch beyond its encoded bytes: array framing. */
export const EVENT_OVERHEAD_BYTES = 3

/** Points on the convergence chart; a run samples state this many times at most. */
export const CHART_SAMPLES = 60

/** Violations kept per checker; beyond, only the count grows (one bug can produce millions). */
export const MAX_VIOLATIONS_PER_CHECK = 20

/** The virtual wall clock starts here (2026-01-01T00:00:00Z) so stamps look like real ones. */
export const EPOCH_MS = 1_767_225_600_000

/**
 * Write × node visibility marks one run follows at most. Beyond, latency is measured on every n-th
 * write only (the report says how many): marking is O(writes × nodes) and would dominate a 1000-node run.
 */
export const MAX_VISIBILITY_MARKS = 1_000_000
