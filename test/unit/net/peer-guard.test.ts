// PeerGuard: strikes, growing bans and redial backoff on injected time.
import { describe, expect, it } from 'vitest'
import { PeerGuard } from '../../../daemon/net/peer-guard.js'
import { DEFAULT_LIMITS } from '../../../daemon/net/limits.js'

function guard (random = 0.5) {
  const clock = { now: 1_000_000 }
  const g = new PeerGuard({ ...DEFAULT_LIMITS, maxStrikes: 3, strikeWindowMs: 10_000, banBaseMs: 1_000, banMaxMs: 5_000, redialBaseMs: 100, redialMaxMs: 1_000 },
    { now: () => clock.now, random: () => random })
  return { g, clock }
}

describe('PeerGuard', () => {
  it('bans after maxStrikes within the window, for a period that doubles up to the max', () => {
    const { g, clock } = guard()
    expect(g.strike('p')).toBe(0)
    expect(g.strike('p')).toBe(0)
    expect(g.strike('p')).toBe(1_000)
    expect(g.isBanned('p')).toBe(true)
    expect(g.canAttempt('p')).toBe(false)
    clock.now += 1_000
    expect(g.isBanned('p')).toBe(false)
    const bans = [1, 2, 3, 4].map(() => { g.strike('p'); g.strike('p'); const ms = g.strike('p'); clock.now += ms; return ms })
    expect(bans).toEqual([2_000, 4_000, 5_000, 5_000])
  })

  it('forgive() lifts the redial backoff (a deliberate dial) but never a ban', () => {
    const { g } = guard()
    g.failed('p'); g.failed('p')
    expect(g.canAttempt('p')).toBe(false)
    g.forgive('p')
    expect(g.canAttempt('p')).toBe(true)
    g.strike('q'); g.strike('q'); g.strike('q')
    g.forgive('q')
    expect(g.canAttempt('q')).toBe(false)
  })

  it('forgets strikes older than the window', () => {
    const { g, clock } = guard()
    g.strike('p'); g.strike('p')
    clock.now += 10_001
    expect(g.strike('p')).toBe(0)
    expect(g.isBanned('p')).toBe(false)
  })

  it('backs off redials exponentially with jitter, capped, and resets on success', () => {
    const { g, clock } = guard(0.5) // jitter factor 0.5 + 0.5 = 1: exact delays
    expect([1, 2, 3, 4, 5].map(() => g.failed('p'))).toEqual([100, 200, 400, 800, 1_000])
    expect(g.canAttempt('p')).toBe(false)
    clock.now += 1_000
    expect(g.canAttempt('p')).toBe(true)
    g.succeeded('p')
    expect(g.failed('p')).toBe(100)
    const low = guard(0).g.failed('q')
    const high = guard(0.999).g.failed('q')
    expect(low).toBe(50)
    expect(high).toBeGreaterThan(140)
  })

  it('waits one base delay after a session is lost', () => {
    const { g, clock } = guard(0.5)
    g.lost('p')
    expect(g.canAttempt('p')).toBe(false)
    clock.now += 100
    expect(g.canAttempt('p')).toBe(true)
  })
})
