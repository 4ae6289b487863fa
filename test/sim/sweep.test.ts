// The seed sweep in the suite: hundreds of seeds of chaos (and of clock-skew,
// whose sweep found the tombstone-ack stall), small enough per seed to stay
// inside the suite's time budget. Every bug a sweep finds becomes a named
// scenario test in scenarios.test.ts.
import { describe, expect, it } from 'vitest'
import { runSweep } from '../../sim/sweep.js'

describe('seed sweep', () => {
  it('chaos, seeds 1..400 on 7 nodes: every invariant holds on every seed', () => {
    const r = runSweep({ scenario: 'chaos', nodes: 7, writes: 80, durationMs: 3000 }, 400)
    expect(r.failed).toEqual([])
  }, 120_000)

  it('clock-skew, seeds 1..100 on 7 nodes: every invariant holds on every seed', () => {
    const r = runSweep({ scenario: 'clock-skew', nodes: 7, writes: 150, durationMs: 3000 }, 100)
    expect(r.failed).toEqual([])
  }, 120_000)
})
