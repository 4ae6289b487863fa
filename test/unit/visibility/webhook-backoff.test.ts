// The retry schedule as numbers: 1 s doubling to the 1 h cap, ±20 % jitter
// never past the cap, and the give-up window whose end gets a last attempt.
import { describe, expect, it } from 'vitest'
import { nextAttemptAt, retryDelayMs } from '../../../daemon/visibility/webhooks/backoff.js'
import { DEFAULT_RETRY_GIVE_UP_MS, DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS } from '../../../daemon/visibility/webhooks/constants.js'

const defaults = { retryInitialMs: DEFAULT_RETRY_INITIAL_MS, retryMaxMs: DEFAULT_RETRY_MAX_MS, retryGiveUpMs: DEFAULT_RETRY_GIVE_UP_MS }

describe('webhook backoff', () => {
  it('doubles from 1 s to the 1 h cap (no jitter at random 0.5)', () => {
    const delays = Array.from({ length: 15 }, (_, i) => retryDelayMs(i + 1, defaults, 0.5) / 1000)
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600, 3600])
    expect(retryDelayMs(10_000, defaults, 0.5)).toBe(3_600_000) // no overflow however many failures
  })

  it('jitters by ±20 %, never beyond the cap', () => {
    expect(retryDelayMs(3, defaults, 0)).toBe(3200)
    expect(retryDelayMs(3, defaults, 0.999_999)).toBe(4800)
    expect(retryDelayMs(20, defaults, 0)).toBe(2_880_000)
    expect(retryDelayMs(20, defaults, 0.999_999)).toBe(3_600_000)
  })

  it('retries until the give-up window ends, with a last attempt at its end', () => {
    const created = 1_000_000
    const s = { retryInitialMs: 1000, retryMaxMs: 10_000, retryGiveUpMs: 25_000 }
    const times: number[] = [created]
    let now = created
    for (let failed = 1; ; failed++) {
      const next = nextAttemptAt(created, failed, now, s, 0.5)
      if (next === 'give-up') break
      now = next
      times.push(now - created)
    }
    // 0, +1 s, +2 s, +4 s, +8 s (15 s), then 16 s would pass the 25 s window: the last attempt is at 25 s.
    expect(times.slice(1)).toEqual([1000, 3000, 7000, 15_000, 25_000])
    expect(nextAttemptAt(created, 1, created, { ...s, retryGiveUpMs: 0 }, 0.5)).toBe('give-up')
  })

  it('with the defaults: about 35 attempts over 24 h', () => {
    let now = 0
    let attempts = 1
    for (;;) {
      const next = nextAttemptAt(0, attempts, now, defaults, 0.5)
      if (next === 'give-up') break
      now = next
      attempts++
    }
    expect(now).toBe(DEFAULT_RETRY_GIVE_UP_MS)
    expect(attempts).toBeGreaterThanOrEqual(33)
    expect(attempts).toBeLessThanOrEqual(37)
  })
})
