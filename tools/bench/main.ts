// `npm run bench [-- --json] [--quick] [--only ids] [--record]`: benchmarks on
// real daemons on 127.0.0.1 (not tests: the figures depend on the machine).
// Each benchmark is a module with the shape of result.ts; they run one after
// another so they do not compete for the cores. Without --only, every one but
// those marked optIn (the million-key run: `--only million`). Prints a table, or with
// --json one object whose `results` is a list of { name, value, unit }.
// --record appends the run (date, machine, command, table) to BENCHMARKS.md.

import { appendFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { blobBench } from './blob.js'
import { catchupBench } from './catchup.js'
import { fanoutBench } from './fanout.js'
import { millionBench } from './million.js'
import { npmInstallBench } from './npm-install.js'
import { publishBench } from './publish.js'
import { skipped, type BenchResult, type Benchmark } from './result.js'
import { simBench } from './sim.js'
import { userPathBench } from './user-path.js'
import { regressionWarnings } from './regressions.js'

const BENCHMARKS: Benchmark[] = [blobBench, fanoutBench, catchupBench, publishBench, simBench, userPathBench, npmInstallBench, millionBench]

function usage (message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--json] [--quick] [--only ${BENCHMARKS.map(b => b.id).join(',')}] [--record]\n`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({ options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' }, record: { type: 'boolean' } }, strict: true })
} catch (err) {
  usage((err as Error).message)
}
const { json = false, quick = false, record = false } = parsed.values
const only = parsed.values.only?.split(',')
for (const id of only ?? []) if (!BENCHMARKS.some(b => b.id === id)) usage(`unknown benchmark ${id}`)
if (record && quick) usage('--quick runs are not for the record')

const say = (line: string): void => { process.stderr.write(`${line}\n`) }
const results: BenchResult[] = []
let failed = false
const started = Date.now()
for (const bench of BENCHMARKS.filter(b => only === undefined ? b.optIn !== true : only.includes(b.id))) {
  say(`── ${bench.id}: ${bench.title}${quick ? ' (quick)' : ''}`)
  const t = performance.now()
  try {
    results.push(...await bench.run({ quick, say: l => { say(`   ${l}`) } }))
  } catch (err) {
    failed = true
    say(`   failed: ${(err as Error).stack ?? String(err)}`)
    results.push(...skipped(bench.names, `failed: ${(err as Error).message.split('\n')[0] ?? ''}`))
  }
  say(`   (${((performance.now() - t) / 1000).toFixed(1)} s)`)
}

for (const r of results) {
  const met = meets(r, results)
  if (met !== undefined) r.met = met
}
// Before recording: this run against the last one on record.
if (!quick) for (const line of await regressionWarnings(results)) say(line)
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ')
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Node ${process.version}, ${process.platform}`
const table = tableOf(results)
if (json) {
  process.stdout.write(JSON.stringify({ date: new Date(started).toISOString(), machine, command, quick, results }) + '\n')
} else {
  process.stdout.write(table)
}
if (record) {
  const section = `\n## ${new Date(started).toISOString().slice(0, 16).replace('T', ' ')} UTC\n\n- machine: ${machine}\n- command: \`${command}\`\n- wall time: ${((Date.now() - started) / 60_000).toFixed(1)} min\n\n${table}`
  await appendFile('BENCHMARKS.md', section)
  say('recorded in BENCHMARKS.md')
}
process.exitCode = failed ? 1 : 0

function tableOf (rs: BenchResult[]): string {
  const rows = rs.map(r => [r.name, r.value === null ? 'skipped' : String(r.value), r.unit, r.target === undefined ? '' : `${r.target}${r.met === undefined ? '' : r.met ? ' ✓' : ' ✗ missed'}`, r.skipped ?? r.note ?? ''])
  const head = ['name', 'value', 'unit', 'target', 'note']
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n') + '\n'
}

/** Whether a result meets its target (`>= 0.8`, `<= 1.05`, `>= other-name`); undefined when it cannot tell. */
function meets (r: BenchResult, all: BenchResult[]): boolean | undefined {
  const m = /^(>=|<=) (\S+)$/.exec(r.target ?? '')
  if (m === null || r.value === null) return undefined
  const bound = Number.isFinite(Number(m[2])) ? Number(m[2]) : all.find(o => o.name === m[2])?.value
  if (bound === undefined || bound === null) return undefined
  return m[1] === '>=' ? r.value >= bound : r.value <= bound
}
