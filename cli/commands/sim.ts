// `mycel sim`: run the replication core on virtual nodes under faults and
// check its invariants. Exit 0 when every invariant holds, 1 when one is
// violated (for a sweep: when any seed violates one), 2 for bad usage.

import { crypto } from '../builtins.js'
import { writeFile } from 'node:fs/promises'
import type { Command, CommandContext } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { drawsProgress } from '../terminal.js'
import { MycelError } from '../../protocol/errors.js'
import { parseDurationMs } from '../../protocol/duration.js'
import { describeKnobs, replayCommand, resolveOptions, SCENARIOS, type ScenarioName, type SimOptions } from '../../sim/knobs.js'
import { ATTACKS, type Attack } from '../../sim/federation/attacks.js'

export const simCommand: Command = {
  name: 'sim',
  summary: 'simulate a federation under faults and check that nothing is lost',
  options: {
    nodes: { type: 'string', value: 'N', description: 'virtual nodes (default 5)' },
    seed: { type: 'string', value: 'S', description: 'seed of every random choice (default: a fresh one, printed first)' },
    scenario: { type: 'string', value: 'NAME', description: `one of ${SCENARIOS.join(', ')} (default steady)`, choices: SCENARIOS },
    writes: { type: 'string', value: 'W', description: 'writes to issue (default: rate × duration)' },
    // No parser defaults here: any two of writes, rate and duration fix the third (sim/knobs.ts).
    rate: { type: 'string', value: 'PER_SEC', description: 'writes per second across the federation (default 100, or writes ÷ duration)' },
    latency: { type: 'string', value: 'DURATION', description: 'mean one-way link latency (default 50ms)' },
    duration: { type: 'string', value: 'DURATION', description: 'length of the fault phase (default 10s, or writes ÷ rate)' },
    report: { type: 'string', value: 'FILE', description: 'write the convergence chart to FILE (.svg, or .html with the summary)', path: 'file' },
    sweep: { type: 'string', value: 'COUNT', description: 'run seeds 1..COUNT (from --seed if given) and list the failing ones' },
    open: { type: 'boolean', description: 'an open mesh: no genesis, no membership, every author trusted (default: a federation)' },
    byzantine: { type: 'string', value: 'N', description: 'Byzantine members among n2.. (default: by scenario; 1 in chaos, a fifth in byzantine)' },
    attacks: { type: 'string', value: 'LIST', description: `what they do, comma-separated: ${ATTACKS.join(', ')} (default: all; in rules, all but equivocate and backdate)` }
  },
  details: `
Runs the real replication core (protocol/) on virtual nodes with virtual time and one seeded PRNG:
the same seed and flags give the same report, byte for byte, apart from wallMs. A run prints its
seed and every knob first; a failing run prints the one command that replays it.
Exit codes: 0 every invariant held, 1 an invariant was violated, 2 bad usage. See docs/sim.md.`,
  run
}

async function run (ctx: CommandContext): Promise<number> {
  const o = ctx.options
  const options: Omit<SimOptions, 'seed'> = {
    nodes: intOption(o.nodes, '--nodes'),
    scenario: o.scenario as ScenarioName | undefined,
    writes: intOption(o.writes, '--writes'),
    ratePerSec: numberOption(o.rate, '--rate'),
    latencyMs: o.latency === undefined ? undefined : parseDurationMs(String(o.latency), '--latency'),
    durationMs: o.duration === undefined ? undefined : parseDurationMs(String(o.duration), '--duration'),
    open: o.open === true ? true : undefined,
    byzantine: intOption(o.byzantine, '--byzantine'),
    attacks: typeof o.attacks === 'string' ? o.attacks.split(',').map(a => a.trim()).filter(a => a !== '') as Attack[] : undefined
  }
  const json = o.json === true
  if (o.sweep !== undefined) return await sweep(ctx, options, intOption(o.sweep, '--sweep') ?? 0, intOption(o.seed, '--seed') ?? 1, json)

  const resolved = resolveOptions({ ...options, seed: intOption(o.seed, '--seed') ?? crypto().randomInt(1, 2 ** 31) })
  // The simulator and its reports load only when a run needs them: `mycel --help` and every other command start faster.
  const [{ buildKnobs }, { runKnobs }, { reportText }, { reportJson }, { reportHtml, reportSvg }] = await Promise.all([
    import('../../sim/scenarios.js'), import('../../sim/run.js'), import('../../sim/report-text.js'), import('../../sim/report.js'), import('../../sim/report-svg.js')
  ])
  const knobs = buildKnobs(resolved)
  // Seed and knobs go out before the run, so even a run that never ends can be replayed.
  if (!json) ctx.out.write(describeKnobs(knobs).join('\n') + '\n')
  const report = runKnobs(knobs, replayCommand(resolved))
  const text = reportText(report)
  if (json) ctx.out.write(reportJson(report) + '\n')
  else ctx.out.write(text)
  if (typeof o.report === 'string') {
    const file = o.report
    await writeFile(file, file.endsWith('.html') ? reportHtml(report, text) : reportSvg(report))
    if (!json) ctx.out.write(`chart written to ${file}\n`)
  }
  return report.ok ? EXIT.OK : EXIT.FAILURE
}

async function sweep (ctx: CommandContext, options: Omit<SimOptions, 'seed'>, count: number, first: number, json: boolean): Promise<number> {
  const { runSweep } = await import('../../sim/sweep.js')
  if (!json) ctx.out.write(`sweep: seeds ${first}..${first + count - 1}, scenario ${options.scenario ?? 'steady'}\n`)
  let done = 0
  const result = runSweep(options, count, first, r => {
    done++
    if (json) return
    if (!r.ok) ctx.out.write(`seed ${r.seed} FAILED: ${r.violations[0]?.message.split('\n')[0] ?? ''}\n  replay: ${r.replay}\n`)
    else if (drawsProgress(ctx) && done % 10 === 0) ctx.err.write(`\r${done}/${count}`)
  })
  if (json) {
    ctx.out.write(JSON.stringify(result) + '\n')
  } else {
    if (drawsProgress(ctx)) ctx.err.write('\r')
    ctx.out.write(result.ok
      ? `all ${count} seeds ok (${result.wallMs} ms)\n`
      : `${result.failed.length} of ${count} seeds failed: ${result.failedSeeds.join(' ')} (${result.wallMs} ms)\n`)
  }
  return result.ok ? EXIT.OK : EXIT.FAILURE
}

function numberOption (v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined
  const s = String(v)
  const n = Number(s)
  if (s.trim() === '' || !Number.isFinite(n)) throw MycelError.usage(`${flag} must be a number, not '${s}'`)
  return n
}

function intOption (v: unknown, flag: string): number | undefined {
  const n = numberOption(v, flag)
  if (n !== undefined && !Number.isSafeInteger(n)) throw MycelError.usage(`${flag} must be an integer, not '${String(v)}'`)
  return n
}
