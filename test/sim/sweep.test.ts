// The seed sweep in the suite: 200+ seeds of chaos, small enough per seed to
// stay inside the suite's time budget. Every bug a sweep finds becomes a named
// scenario test (scenarios.test.ts); the one known core bug so far — tombstone
// collection stalling on a straggler — is excused here only in its exact
// signature, so any other violation fails this test.
import { describe, expect, it } from 'vitest'
import type { SweepFailure } from '../../sim/sweep.js'
import { runSweep } from '../../sim/sweep.js'

const KNOWN_TOMBSTONE_STALL = /only tombstones differ: collected on some nodes, kept on others/

function isKnownTombstoneStall (f: SweepFailure): boolean {
  return f.violations.some(v => KNOWN_TOMBSTONE_STALL.test(v.message)) && f.violations.every(v =>
    v.check === 'convergence' && (/^no convergence within/.test(v.message) || KNOWN_TOMBSTONE_STALL.test(v.message)))
}

describe('seed sweep', () => {
  it('chaos, seeds 1..400 on 7 nodes: no invariant violated (but the known tombstone stall)', () => {
    const r = runSweep({ scenario: 'chaos', nodes: 7, writes: 80, durationMs: 3000 }, 400)
    const unexplained = r.failed.filter(f => !isKnownTombstoneStall(f))
    expect(unexplained).toEqual([])
    // The stall is rare; many failures would mean something else is wrong.
    expect(r.failed.length).toBeLessThan(40)
  }, 120_000)
})
