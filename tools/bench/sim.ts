// 5. Simulator scale: 1000 virtual nodes, scenario partition-heal, 10 000
// writes, seed 1, open mesh (quick: 200 nodes, 2 000 writes) — the reference command of
// docs/sim.md, run as users run it: the `mycel sim` process (which re-runs
// itself with a larger young generation, cli/node-flags.ts). The wall time is
// the process's, from spawn to exit.

import { cli } from '../../test/helpers/daemons.js'
import { result, type Benchmark } from './result.js'

interface SimReportPart { msgsPerWrite: number, ok: boolean, violations: unknown[] }

const NAMES = ['sim-1000-wall-s', 'sim-1000-msgs-per-write']

export const simBench: Benchmark = {
  id: 'sim',
  title: 'simulator scale, partition-heal',
  names: NAMES,
  async run (ctx) {
    const o = ctx.quick ? { nodes: 200, writes: 2000 } : { nodes: 1000, writes: 10_000 }
    // An open mesh, as every recorded run measured it (federation mode is the default since #16, and at
    // 1000 members its O(members²) acknowledgement rows cost ten times as much: docs/sim.md).
    const args = ['sim', '--nodes', String(o.nodes), '--writes', String(o.writes), '--scenario', 'partition-heal', '--seed', '1', '--open', '--json']
    ctx.say(`mycel ${args.join(' ')}`)
    const started = performance.now()
    const { code, stdout, stderr } = await cli(args)
    const seconds = (performance.now() - started) / 1000
    if (code !== 0 && code !== 1) throw new Error(`mycel sim exited with ${String(code)}: ${stderr.slice(-500)}`)
    const report = JSON.parse(stdout) as SimReportPart
    const note = `${o.nodes} nodes, ${o.writes} writes, seed 1; the whole process${report.ok ? '' : `; run NOT ok: ${report.violations.length} violations`}`
    return [
      result('sim-1000-wall-s', seconds, 's', { target: ctx.quick ? undefined : '<= 60', note }),
      result('sim-1000-msgs-per-write', report.msgsPerWrite, 'msgs/write', { note })
    ]
  }
}
