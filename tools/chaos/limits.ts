// The chaos run's numbers, together, each with why it is what it is.

/** Five daemons: enough for partitions with a majority and a minority, few enough for 2 cores. */
export const CHAOS_NODES = 5

/** At most this many nodes down at once, so writes keep flowing somewhere. */
export const MAX_DOWN = 2

/** Shared key space: small, so writes from several nodes to one key overlap (the LWW case). */
export const KEY_SPACE = 32

/** Workload pace: ops per second over all workers; bounded so 5 daemons and restarts fit on 2 cores. */
export const OPS_PER_SEC = 40
export const WORKERS = 4

/** One write in this many carries a larger blob (64 KiB) so blob files of several sizes are checked. */
export const LARGE_EVERY = 10
export const LARGE_BYTES = 64 * 1024

/** How long a fetch step lets the node look for a blob's holders (`?wait=`): short, as holders may be down. */
export const FETCH_WAIT_S = 3

/** A fault step every FAULT_MIN_MS..FAULT_MAX_MS. */
export const FAULT_MIN_MS = 700
export const FAULT_MAX_MS = 2000

/** A kill waits up to this for a write in flight on its node (the workload keeps ~1–2 in flight per node). */
export const KILL_AIM_MS = 1000

/** After the final heal, the nodes must agree within this (redial backoff and anti-entropy rounds). */
export const QUIET_TIMEOUT_MS = 90_000

/** A daemon (re)start must report ready within this on a busy machine. */
export const START_TIMEOUT_MS = 30_000

/** One API request from the workload; a hung request is recorded as unknown, not waited on forever. */
export const REQUEST_TIMEOUT_MS = 15_000

/** Longest run accepted from --duration. */
export const MAX_DURATION_MS = 60 * 60_000

/** Anti-entropy period of the chaos daemons: short so a run converges in seconds. */
export const ANTI_ENTROPY_MS = 250
