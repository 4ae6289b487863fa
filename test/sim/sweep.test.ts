// The seed sweep in the suite: hundreds of seeds of chaos and of byzantine
// (a fifth of the members lying), of clock-skew (whose sweep found the
// tombstone-ack stall), a thousand of rules (issue #21: immutable keys,
// retention, replicas; its sweep found the partial collection of an ordered
// key), small enough per seed to stay inside the suite's time budget;
// `npm run sweep` runs 10 000 of each. Every bug a sweep finds becomes a named
// scenario test in scenarios.test.ts.
import { describe, expect, it } from 'vitest'
import { runSweep } from '../../sim/sweep.js'

describe('seed sweep', () => {
  it('chaos, seeds 1..400 on 7 nodes: every invariant holds on every seed', () => {
    const r = runSweep({ scenario: 'chaos', nodes: 7, writes: 80, durationMs: 3000 }, 400)
    expect(r.failed).toEqual([])
  }, 120_000)

  it('byzantine, seeds 1..300 on 7 nodes: Byzantine members never exceed their role, honest members converge', () => {
    const r = runSweep({ scenario: 'byzantine', nodes: 7, writes: 80, durationMs: 3000 }, 300)
    expect(r.failed).toEqual([])
  }, 120_000)

  it('open mesh (no federation), chaos seeds 1..100: the pre-federation core still holds', () => {
    const r = runSweep({ scenario: 'chaos', nodes: 7, writes: 80, durationMs: 3000, open: true }, 100)
    expect(r.failed).toEqual([])
  }, 120_000)

  it('clock-skew, seeds 1..100 on 7 nodes: every invariant holds on every seed', () => {
    const r = runSweep({ scenario: 'clock-skew', nodes: 7, writes: 150, durationMs: 3000 }, 100)
    expect(r.failed).toEqual([])
  }, 120_000)

  it('rules, seeds 1..1000 on 5 nodes: first creates win, acknowledged ones stay, retention removes only what it should, replicas are placed alike', () => {
    const r = runSweep({ scenario: 'rules', nodes: 5, writes: 40, durationMs: 2000 }, 1000)
    expect(r.failed).toEqual([])
  }, 120_000)
})
