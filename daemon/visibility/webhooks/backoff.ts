// When to try a failed delivery again: exponential backoff with jitter, from
// retryInitialMs doubling to retryMaxMs, until retryGiveUpMs after the
// delivery was queued. The last attempt is made at that deadline at the
// latest, so a give-up always follows a real attempt at the end of the window.
// Pure: time and randomness come in as arguments (unit-tested in virtual time).

import { RETRY_JITTER } from './constants.js'

export interface BackoffSettings {
  retryInitialMs: number
  retryMaxMs: number
  retryGiveUpMs: number
}

/** The delay after the `failedAttempts`-th failed attempt (1-based); `random` is uniform in [0, 1). */
export function retryDelayMs (failedAttempts: number, s: BackoffSettings, random: number): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 52) // 2^52: far past any cap, and still finite
  const base = Math.min(s.retryInitialMs * 2 ** exponent, s.retryMaxMs)
  const jittered = base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random)
  return Math.max(1, Math.round(Math.min(jittered, s.retryMaxMs)))
}

/** After a failed attempt at `nowMs`: the time of the next one, or 'give-up' once the window has passed. */
export function nextAttemptAt (createdAtMs: number, failedAttempts: number, nowMs: number, s: BackoffSettings, random: number): number | 'give-up' {
  const deadline = createdAtMs + s.retryGiveUpMs
  if (nowMs >= deadline) return 'give-up'
  return Math.min(nowMs + retryDelayMs(failedAttempts, s, random), deadline)
}
