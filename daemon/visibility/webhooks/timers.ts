// The timers webhook delivery waits on (retry delays, a POST's deadline),
// injected so that tests run the retry schedule in virtual time
// (test/helpers/virtual-time.ts) and the daemon on the real ones.

export interface Timers {
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

/** Node's setTimeout fires at once for a delay over 2^31-1 ms (~24.8 days): longer waits are taken in steps. */
export const MAX_TIMER_MS = 2_147_483_647

/** Unref'd: a delivery waiting for its retry must not hold a stopping daemon open. */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, Math.min(ms, MAX_TIMER_MS)).unref(),
  clearTimeout: handle => { clearTimeout(handle as NodeJS.Timeout) }
}
