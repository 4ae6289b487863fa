// Same seed + same code ⇒ byte-identical report apart from wallMs.
import { describe, expect, it } from 'vitest'
import { reportJson, withoutWallMs } from '../../sim/report.js'
import { runSim } from '../../sim/run.js'

describe('determinism', () => {
  for (const scenario of ['chaos', 'churn', 'rules'] as const) {
    it(`${scenario}: one seed run twice gives the same JSON, byte for byte, but for wallMs`, () => {
      const opts = { seed: 1234, scenario, nodes: 8, writes: 200, durationMs: 3000 }
      const a = runSim(opts)
      const b = runSim(opts)
      expect(a.wallMs).toBeTypeOf('number')
      expect(JSON.stringify(withoutWallMs(a))).toBe(JSON.stringify(withoutWallMs(b)))
      // …and the seed matters.
      const c = runSim({ ...opts, seed: 1235 })
      expect(JSON.stringify(withoutWallMs(c))).not.toBe(JSON.stringify(withoutWallMs(a)))
      expect(() => JSON.parse(reportJson(a))).not.toThrow()
    })
  }
})
