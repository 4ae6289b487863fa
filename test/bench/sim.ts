// 5. Simulator scale: 1000 virtual nodes, scenario partition-heal, 10 000
// writes, seed 1 (quick: 200 nodes, 2 000 writes) — the reference command of
// docs/sim.md. Reports the run's wall time and messages per write.
// The simulator (branch `sim`) is loaded at run time so this file compiles
// before it is merged; once it is, a static import of runSim can replace this.

import { skipped, result, type Benchmark } from './result.js'

/** Relative to the compiled file (dist/test/bench/sim.js). */
const SIM_RUN_MODULE = '../../sim/run.js'

interface SimReportPart { wallMs: number, msgsPerWrite: number, ok: boolean, violations: unknown[], convergedAfterHealMs: number | null }
type RunSim = (options: { seed: number, nodes: number, scenario: string, writes: number }) => SimReportPart

const NAMES = ['sim-1000-wall-s', 'sim-1000-msgs-per-write']

export const simBench: Benchmark = {
  id: 'sim',
  title: 'simulator scale, partition-heal',
  names: NAMES,
  async run (ctx) {
    let runSim: RunSim | undefined
    try {
      runSim = (await import(SIM_RUN_MODULE) as { runSim?: RunSim }).runSim
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err
    }
    if (runSim === undefined) return skipped(NAMES, 'the simulator (branch sim) is not merged yet')
    const options = ctx.quick ? { seed: 1, nodes: 200, scenario: 'partition-heal', writes: 2000 } : { seed: 1, nodes: 1000, scenario: 'partition-heal', writes: 10_000 }
    ctx.say(`mycel sim --nodes ${options.nodes} --writes ${options.writes} --scenario partition-heal --seed 1`)
    const report = runSim(options)
    const note = `${options.nodes} nodes, ${options.writes} writes, seed 1${report.ok ? '' : `; run NOT ok: ${report.violations.length} violations`}`
    return [
      result('sim-1000-wall-s', report.wallMs / 1000, 's', { note }),
      result('sim-1000-msgs-per-write', report.msgsPerWrite, 'msgs/write', { note })
    ]
  }
}
