// A seed sweep: the same options over seeds first..first+count-1, collecting
// the seeds that violate an invariant, each with the command that replays it.

import { performance } from 'node:perf_hooks'
import { MycelError } from '../protocol/errors.js'
import type { Violation } from './checkers/types.js'
import type { SimOptions } from './knobs.js'
import { MAX_SWEEP } from './limits.js'
import type { SimReport } from './report.js'
import { runSim } from './run.js'

export interface SweepFailure {
  seed: number
  violations: Violation[]
  replay: string
}

export interface SweepReport {
  sweep: number
  scenario: string
  nodes: number
  firstSeed: number
  failed: SweepFailure[]
  failedSeeds: number[]
  ok: boolean
  wallMs: number
}

export function runSweep (options: Omit<SimOptions, 'seed'>, count: number, firstSeed = 1, onRun?: (r: SimReport) => void): SweepReport {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SWEEP) throw MycelError.usage(`--sweep must be an integer in [1, ${MAX_SWEEP}]`)
  const started = performance.now()
  const failed: SweepFailure[] = []
  let nodes = options.nodes ?? 0
  let scenario = options.scenario ?? ''
  for (let seed = firstSeed; seed < firstSeed + count; seed++) {
    const r = runSim({ ...options, seed })
    nodes = r.nodes
    scenario = r.scenario
    if (!r.ok) failed.push({ seed, violations: r.violations.slice(0, 3), replay: r.replay })
    onRun?.(r)
  }
  return {
    sweep: count,
    scenario,
    nodes,
    firstSeed,
    failed,
    failedSeeds: failed.map(f => f.seed),
    ok: failed.length === 0,
    wallMs: Math.round(performance.now() - started)
  }
}
