// What a CPU profile's time went to: self time per function, and the total time under a few
// functions named on the command line (everything they called, counted once however deep).
// A daemon's profile: MYCEL_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" on its start; it is
// written when the process exits (Node.stop(), SIGTERM, lets it).
//
//   node dist/tools/bench/profile-top.js FILE.cpuprofile [--until-ms 8000] [--under loadSnapshot,decodeEvent]

import { readFileSync } from 'node:fs'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

const args = process.argv.slice(2)
const file = args[0]
if (file === undefined) {
  process.stderr.write('usage: node dist/tools/bench/profile-top.js FILE.cpuprofile [--until-ms MS] [--under f,g]\n')
  process.exit(2)
}
const option = (name: string): string | undefined => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1] }
const untilMs = Number(option('--until-ms') ?? Infinity)
const under = (option('--under') ?? '').split(',').filter(s => s !== '')

const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map(n => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const label = (n: ProfileNode): string => {
  const url = n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/')
  return `${n.callFrame.functionName === '' ? '(anonymous)' : n.callFrame.functionName} ${url === '' ? '' : `${url}:${n.callFrame.lineNumber + 1}`}`.trim()
}

const self = new Map<string, number>()
const within = new Map<string, number>(under.map(f => [f, 0]))
let t = 0
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000
  t += dt
  if (t > untilMs) break
  const node = byId.get(profile.samples[i] as number)
  if (node === undefined) continue
  total += dt
  const name = label(node)
  self.set(name, (self.get(name) ?? 0) + dt)
  // Every named function on this sample's stack, once each.
  const seen = new Set<string>()
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const fn = byId.get(id)?.callFrame.functionName ?? ''
    if (within.has(fn) && !seen.has(fn)) { seen.add(fn); within.set(fn, (within.get(fn) ?? 0) + dt) }
  }
}

process.stdout.write(`${total.toFixed(0)} ms of samples${Number.isFinite(untilMs) ? ` in the first ${untilMs} ms` : ''}\n\n| under | ms | % |\n|---|---|---|\n`)
for (const [fn, ms] of within) process.stdout.write(`| ${fn} | ${ms.toFixed(0)} | ${(100 * ms / total).toFixed(1)} |\n`)
process.stdout.write('\n| self | ms | % |\n|---|---|---|\n')
for (const [name, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`| ${name} | ${ms.toFixed(0)} | ${(100 * ms / total).toFixed(1)} |\n`)
