// `npm run chaos [-- --seed S --duration 60s --json]`: one chaos run on five
// real daemons (run.ts). Prints the seed first; exits 1 on a violation, 2 on
// bad flags. See docs/chaos.md.

import { parseArgs } from 'node:util'
import { parseDurationInRange } from '../../protocol/duration.js'
import { MAX_DURATION_MS } from './limits.js'
import { runChaos, type ChaosReport } from './run.js'

const DEFAULT_DURATION_MS = 60_000

function usage (message: string): never {
  process.stderr.write(`chaos: ${message}\nusage: npm run chaos -- [--seed S] [--duration 60s] [--json]\n`)
  process.exit(2)
}

/** `--duration`: the one duration parser (a bare number is seconds), in (0, MAX_DURATION_MS]. */
function parseDuration (text: string): number {
  try {
    return parseDurationInRange(text, '--duration', 1, MAX_DURATION_MS)
  } catch (err) {
    usage((err as Error).message)
  }
}

function text (r: ChaosReport): string {
  const lines = [
    `${r.ok ? 'ok' : 'VIOLATIONS'}: seed ${r.seed}, ${r.nodes} daemons, ${r.durationMs / 1000} s of faults`,
    `  faults     ${r.kills} SIGKILLs, ${r.restarts} restarts, ${r.cuts} link cuts, ${r.heals} heals`,
    `  writes     ${r.writes} (${r.acknowledged} acknowledged, ${r.unknown} unknown, ${r.failed} refused)`,
    `  checked    ${r.keysFinal} live keys, ${r.blobsChecked} blob files, ${r.fetches} fetches`,
    `  converged  ${r.convergedAfterHealMs === null ? 'never' : `${r.convergedAfterHealMs} ms after the heal`}; wall ${(r.wallMs / 1000).toFixed(1)} s`
  ]
  for (const v of r.violations) lines.push(`  ✗ ${v.check}: ${v.message}`)
  if (r.dirs !== undefined) lines.push(`  data dirs kept: ${r.dirs.join(' ')}`)
  return lines.join('\n') + '\n'
}

let parsed
try {
  parsed = parseArgs({ options: { seed: { type: 'string' }, duration: { type: 'string' }, json: { type: 'boolean' } }, strict: true })
} catch (err) {
  usage((err as Error).message)
}
const seedText = parsed.values.seed
const seed = seedText === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(seedText)
if (!Number.isSafeInteger(seed) || seed < 0) usage('--seed must be a non-negative integer')
const durationMs = parsed.values.duration === undefined ? DEFAULT_DURATION_MS : parseDuration(parsed.values.duration)
const json = parsed.values.json === true

process.stderr.write(`chaos seed ${seed} (replay: npm run chaos -- --seed ${seed} --duration ${durationMs / 1000}s)\n`)
const report = await runChaos({ seed, durationMs, keepOnFailure: true, progress: json ? undefined : l => { process.stderr.write(`  ${l}\n`) } })
process.stdout.write(json ? JSON.stringify(report) + '\n' : text(report))
process.exitCode = report.ok ? 0 : 1
