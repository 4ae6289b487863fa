// npm run sites -- --sites 8 --uplink 100mbit [--nat 1] [--scenario fanout|partition|churn|metadata] [--size 256MiB]
//
// Sites on real networks (issue #26): builds network namespaces, a bridged LAN, capped uplinks and NAT
// routers (topology.ts), starts one daemon per site on its own address (fleet.ts), runs a scenario,
// with --nat also checks that each NAT'd site serves and fetches blobs (nat-check.ts),
// prints one JSON report and tears everything down, also when interrupted (Ctrl-C, SIGTERM). It then
// checks that no namespace or process of the run is left, and says so in the report. Needs root.
// Exit codes: 0 every check passed, 1 a check failed (with --strict: or a target missed) or the run
// broke, 2 bad usage or not root.

import { ensureTool } from '../../test/helpers/ensure-tool.js'
import { churn } from './churn.js'
import { fanout } from './fanout.js'
import { Fleet } from './fleet.js'
import { metadata } from './metadata.js'
import { natCheck } from './nat-check.js'
import { DEFAULT_HOLD_S, partition } from './partition.js'
import { round, type Check, type ScenarioResult } from './report.js'
import { Topology } from './topology.js'

const SCENARIOS = ['fanout', 'partition', 'churn', 'metadata'] as const
type ScenarioName = typeof SCENARIOS[number]

interface Options {
  sites: number
  nat: number
  uplink?: string
  scenario: ScenarioName
  sizeBytes: number
  publishes: number
  holdS: number
  strict: boolean
  maxPeers?: number
  cleanup: boolean
}

const USAGE = `usage: npm run sites -- [--sites N] [--uplink RATE] [--nat K] [--scenario ${SCENARIOS.join('|')}] [--size SIZE] [--publishes N]
  --sites N        sites, each a daemon in its own network namespace (default 4)
  --uplink RATE    cap every site's uplink, in tc's syntax: 100mbit, 500kbit, 1gbit (default: none)
  --nat K          put the last K sites behind their own NAT router (default 0)
  --scenario S     fanout (default), partition, churn or metadata
  --size SIZE      fanout: the blob's size, e.g. 32MiB, 256MiB (default 32MiB)
  --publishes N    partition, churn, metadata: how many keys are written (default 1000 for metadata, 100 otherwise)
  --hold S         partition: keep the halves apart at least S seconds (default ${DEFAULT_HOLD_S})
  --max-peers N    sync sessions each daemon keeps (default: one with every other site; the daemon's own default is 8)
  --strict         exit 1 also when a performance target is missed (default: only a failed check)
  --cleanup        remove what an interrupted run of this harness left behind (namespaces mycel-sites-*), then exit
Needs root (network namespaces, tc, nftables); installs nftables with apt-get when --nat is used and nft is missing.`

function parse (argv: string[]): Options {
  const o: Options = { sites: 4, nat: 0, scenario: 'fanout', sizeBytes: 32 * 2 ** 20, publishes: -1, holdS: DEFAULT_HOLD_S, strict: false, cleanup: false }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    if (flag === '--sites') o.sites = int(flag, value())
    else if (flag === '--nat') o.nat = int(flag, value())
    else if (flag === '--uplink') o.uplink = value()
    else if (flag === '--scenario') {
      const s = value()
      if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}`)
      o.scenario = s as ScenarioName
    } else if (flag === '--size') o.sizeBytes = size(value())
    else if (flag === '--publishes') o.publishes = int(flag, value())
    else if (flag === '--hold') o.holdS = int(flag, value())
    else if (flag === '--strict') o.strict = true
    else if (flag === '--max-peers') o.maxPeers = int(flag, value())
    else if (flag === '--cleanup') o.cleanup = true
    else if (flag === '-h' || flag === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0) } else throw new Error(`unknown option ${flag}`)
  }
  if (o.publishes < 0) o.publishes = o.scenario === 'metadata' ? 1000 : 100
  return o
}

function int (flag: string, v: string): number {
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} must be a whole number, not ${v}`)
  return n
}

function size (v: string): number {
  const m = /^(\d+)(B|KiB|MiB|GiB)?$/.exec(v)
  if (m === null) throw new Error(`--size ${v}: use e.g. 32MiB or 1GiB`)
  return Number(m[1]) * { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] as 'B' ?? 'B']
}

const PREFIX_ROOT = 'mycel-sites'

async function main (): Promise<number> {
  let options: Options
  try {
    options = parse(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`sites: ${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('sites: needs root: it creates network namespaces, veth pairs, a bridge, tc caps and NAT rules. Run it as root (e.g. sudo npm run sites -- ...).\n')
    return 2
  }
  ensureTool('ip', 'iproute2')
  ensureTool('tc', 'iproute2')
  if (options.cleanup) {
    for (const ns of await Topology.leftovers(PREFIX_ROOT)) await Topology.remove(ns)
    process.stdout.write(JSON.stringify({ cleanup: 'done', left: await Topology.leftovers(PREFIX_ROOT) }) + '\n')
    return 0
  }
  if (options.nat > 0) ensureTool('nft', 'nftables')

  const prefix = `${PREFIX_ROOT}-${process.pid}`
  let topology: Topology | undefined
  let fleet: Fleet | undefined
  let tearingDown: Promise<void> | undefined
  const teardown = async (): Promise<void> => {
    tearingDown ??= (async () => {
      await fleet?.stop().catch(() => {})
      await topology?.destroy()
    })()
    await tearingDown
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      progress(`${sig}: tearing down`)
      void teardown().finally(() => { process.exit(sig === 'SIGINT' ? 130 : 143) })
    })
  }

  const started = performance.now()
  let result: ScenarioResult | undefined
  let error: string | undefined
  let memory: Record<string, { rssMib: number, peakRssMib: number }> = {}
  let reach: Record<string, unknown> = {}
  try {
    topology = await Topology.build({ prefix, sites: options.sites, nat: options.nat, uplink: options.uplink })
    progress(`network built: ${topology.sites.map(s => `${s.ns} ${s.addr}${s.nat ? ' (NAT)' : ''}`).join(', ')}`)
    fleet = new Fleet(topology, { replicate: options.scenario === 'fanout' ? 'eager' : 'on-demand', maxPeers: options.maxPeers })
    await fleet.start()
    progress(`${fleet.sites.length} daemons up (pids of daemons and API bridges: ${fleet.alive().join(' ')}); running ${options.scenario}`)
    result = await runScenario(fleet, options)
    if (options.nat > 0) {
      const nat = await natCheck(fleet)
      result = { ...result, figures: { ...result.figures, nat: nat.figures }, checks: [...result.checks, ...nat.checks] }
    }
    reach = await fleet.reach()
    for (const s of fleet.sites) {
      const m = await fleet.memory(s)
      memory[s.name] = { rssMib: round(m.rssMib, 1), peakRssMib: round(m.peakRssMib, 1) }
    }
  } catch (err) {
    error = (err as Error).stack ?? String(err)
  }
  const alive = fleet?.alive() ?? []
  progress('tearing down')
  await teardown()
  const left = await Topology.leftovers(prefix)
  const stillAlive = alive.filter(isAlive)
  const checks: Check[] = [...(result?.checks ?? []),
    { name: 'nothing left behind', ok: left.length === 0 && stillAlive.length === 0, value: [...left, ...stillAlive.map(p => `pid ${p}`)].join(', ') || 'none', target: 'none' }]
  const targets = result?.targets ?? []
  const peak = Math.max(0, ...Object.values(memory).map(m => m.peakRssMib))
  const report = {
    scenario: options.scenario,
    sites: options.sites,
    nat: options.nat,
    uplink: options.uplink ?? null,
    maxPeers: options.maxPeers ?? null,
    ok: error === undefined && checks.every(c => c.ok) && (!options.strict || targets.every(t => t.ok)),
    targetsMet: targets.every(t => t.ok),
    seconds: round((performance.now() - started) / 1000, 1),
    figures: { ...result?.figures, [`sites-${options.sites}-rss-mib`]: peak },
    checks,
    targets,
    reach,
    memory,
    ...(error === undefined ? {} : { error })
  }
  process.stdout.write(JSON.stringify(report, null, 2) + '\n')
  return report.ok ? 0 : 1
}

async function runScenario (fleet: Fleet, o: Options): Promise<ScenarioResult> {
  switch (o.scenario) {
    case 'fanout': return await fanout(fleet, { sizeBytes: o.sizeBytes, uplink: o.uplink })
    case 'partition': return await partition(fleet, { writes: o.publishes, holdS: o.holdS })
    case 'churn': return await churn(fleet, { writes: o.publishes })
    case 'metadata': return await metadata(fleet, { publishes: o.publishes })
  }
}

/** A progress line on stderr (the report alone goes to stdout). */
function progress (line: string): void {
  process.stderr.write(`sites: ${line}\n`)
}

function isAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch { return false }
}

process.exitCode = await main()
