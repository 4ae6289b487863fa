// One chaos run on real processes (TigerBeetle's VOPR shape, on real daemons):
//   start     5 daemons (node 0 founds, the others join)
//   safety    for `durationMs`: the workload publishes, deletes and fetches
//             while the fault loop SIGKILLs and restarts nodes and cuts and
//             heals links, one seeded choice at a time
//   liveness  stop the workload, heal every link, restart every node, then
//             poll until all nodes report the same digest (bounded)
//   checks    checks.ts, over the final state and the write history
// The seed fixes every choice the harness makes; the interleaving with real
// processes is not reproducible, so a failing seed may need a few runs.

import { ChaosCluster, type ChaosNode } from './cluster.js'
import { checkBlobs, checkHistory, type FinalEntry } from './checks.js'
import { Violations, type Violation } from './history.js'
import { CHAOS_NODES, FAULT_MAX_MS, FAULT_MIN_MS, KILL_AIM_MS, MAX_DOWN, QUIET_TIMEOUT_MS } from './limits.js'
import { Prng } from './prng.js'
import { Workload } from './workload.js'

export interface ChaosOptions {
  seed: number
  durationMs: number
  /** Keep the data dirs of a failed run for inspection (the CLI does; the test does not). */
  keepOnFailure?: boolean
  /** Progress lines (faults as they happen); default silent. */
  progress?: (line: string) => void
}

export interface ChaosReport {
  seed: number
  ok: boolean
  violations: Violation[]
  nodes: number
  durationMs: number
  kills: number
  restarts: number
  cuts: number
  heals: number
  writes: number
  acknowledged: number
  unknown: number
  failed: number
  fetches: number
  /** Fetch steps whose bytes the node could not get within the wait (holders down or cut off). */
  fetchesUnserved: number
  blobsChecked: number
  keysFinal: number
  convergedAfterHealMs: number | null
  wallMs: number
  dirs?: string[]
}

/** A harness error (e.g. a daemon's log tail) kept in a violation. */
const MAX_ERROR_CHARS = 4000

interface Counts { kills: number, restarts: number, cuts: number, heals: number }

export async function runChaos (options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now()
  const say = options.progress ?? (() => {})
  const rng = new Prng(options.seed)
  const violations = new Violations()
  const counts: Counts = { kills: 0, restarts: 0, cuts: 0, heals: 0 }
  const cluster = await ChaosCluster.create(CHAOS_NODES)
  const workload = new Workload(cluster, new Prng(options.seed ^ 0x5eed), violations, options.seed)
  let report: ChaosReport | undefined
  let convergedAfterHealMs: number | null = null
  let entries: FinalEntry[] = []
  let blobsChecked = 0
  try {
    try {
      await cluster.start()
      const faultsFrom = Date.now()
      say(`started ${CHAOS_NODES} daemons in ${faultsFrom - started} ms`)
      const working = workload.run()
      try {
        await faultLoop(cluster, workload, rng, counts, faultsFrom + options.durationMs, say)
      } finally {
        workload.stop()
        await working
      }
      await cluster.healAll()
      // Down: killed by the harness, or crashed (reported below); either way restarted on its data dir.
      for (const n of cluster.down()) { await cluster.restart(n); counts.restarts++ }
      const healedAt = Date.now()
      say(`healed; waiting for convergence (≤ ${QUIET_TIMEOUT_MS / 1000} s)`)
      const final = await converge(cluster.nodes, violations)
      for (const c of cluster.crashes) violations.add('daemon-exit', c)
      if (final !== undefined) convergedAfterHealMs = Date.now() - healedAt
      entries = final ?? await listKeys(cluster.nodes[0]!)
      checkHistory(entries, workload.writes, violations)
      blobsChecked = await checkBlobs(cluster.nodes, entries, violations)
    } catch (err) {
      // A daemon that does not come back after SIGKILL (or any harness step failing) is a finding, not a crash.
      violations.add('run', String((err as Error).message ?? err).slice(0, MAX_ERROR_CHARS))
    }
    const w = workload.writes
    report = {
      seed: options.seed,
      ok: violations.list.length === 0,
      violations: violations.list,
      nodes: CHAOS_NODES,
      durationMs: options.durationMs,
      ...counts,
      writes: w.length,
      acknowledged: w.filter(x => x.outcome === 'acked').length,
      unknown: w.filter(x => x.outcome === 'unknown').length,
      failed: w.filter(x => x.outcome === 'failed').length,
      fetches: workload.fetches,
      fetchesUnserved: workload.fetchesUnserved,
      blobsChecked,
      keysFinal: entries.filter(e => e.key.startsWith('k/')).length,
      convergedAfterHealMs,
      wallMs: Date.now() - started
    }
    return report
  } finally {
    const keep = options.keepOnFailure === true && report?.ok !== true
    if (keep && report !== undefined) report.dirs = cluster.nodes.map(n => n.node.dir)
    await cluster.destroy(keep)
  }
}

/** Seeded faults until the deadline; at most MAX_DOWN nodes down at once. */
async function faultLoop (cluster: ChaosCluster, workload: Workload, rng: Prng, counts: Counts, deadline: number, say: (l: string) => void): Promise<void> {
  let step = 0
  while (true) {
    const pause = rng.range(FAULT_MIN_MS, FAULT_MAX_MS)
    if (Date.now() + pause >= deadline) break
    await new Promise(resolve => setTimeout(resolve, pause))
    const up = cluster.up()
    const down = cluster.down()
    const cuts = cluster.cutLinks()
    const r = rng.float()
    if (down.length >= MAX_DOWN || (down.length > 0 && r < 0.3)) {
      const n = rng.pick(down)
      await cluster.restart(n); counts.restarts++
      say(`restart ${n.index}`)
      continue
    }
    // The first two steps are a kill and a cut, so even a short run has both; then the mix below.
    const f = step === 0 ? 0 : step === 1 ? 0.45 : rng.float()
    step++
    if (f < 0.3) {
      const n = rng.pick(up)
      // Aim the kill at a moment with a write in flight there (bounded wait), so unacknowledged writes occur.
      const aimed = await pollFor(() => (workload.inFlight.get(n.index) ?? 0) > 0, KILL_AIM_MS)
      await cluster.kill(n); counts.kills++
      say(`SIGKILL ${n.index}${aimed ? ' (a write in flight)' : ''}`)
    } else if (f < 0.6 || cuts.length === 0) {
      const [a, b] = twoOf(cluster.nodes, rng)
      await cluster.cut(a, b); counts.cuts++
      say(`cut ${a.index}-${b.index}`)
    } else if (f < 0.75) {
      // A partition: one node cut off from every other.
      const n = rng.pick(cluster.nodes)
      for (const o of cluster.nodes) if (o !== n) { await cluster.cut(n, o); counts.cuts++ }
      say(`isolate ${n.index}`)
    } else if (f < 0.92) {
      const [i, j] = rng.pick(cuts).split('-').map(Number) as [number, number]
      await cluster.heal(cluster.nodes[i]!, cluster.nodes[j]!); counts.heals++
      say(`heal ${i}-${j}`)
    } else {
      await cluster.healAll(); counts.heals++
      say('heal all links')
    }
  }
}

/** Polls `cond` every 2 ms until it holds or `ms` pass; whether it held. */
async function pollFor (cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() >= deadline) return false
    await new Promise(resolve => setTimeout(resolve, 2))
  }
  return true
}

function twoOf (nodes: ChaosNode[], rng: Prng): [ChaosNode, ChaosNode] {
  const a = rng.int(nodes.length)
  const b = (a + 1 + rng.int(nodes.length - 1)) % nodes.length
  return [nodes[a]!, nodes[b]!]
}

/** Polls until every node reports the same digest and the same `ls`; undefined (and a violation) at the deadline. */
async function converge (nodes: ChaosNode[], v: Violations): Promise<FinalEntry[] | undefined> {
  const deadline = Date.now() + QUIET_TIMEOUT_MS
  let last: string[] = []
  while (Date.now() < deadline) {
    try {
      const digests = await Promise.all(nodes.map(async n => (await n.node.api<{ digest: string }>('GET', '/v1/status')).body.digest))
      last = digests
      if (digests.every(d => d === digests[0])) {
        const views = await Promise.all(nodes.map(listKeys))
        const texts = views.map(entries => JSON.stringify(entries.map(e => [e.key, e.digest, e.author, e.stamp])))
        if (texts.every(t => t === texts[0])) return views[0]
      }
    } catch {
      // a node still starting: poll again
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  v.add('same-digest', `no agreement within ${QUIET_TIMEOUT_MS} ms of the heal; digests: ${last.map((d, i) => `${i}=${d.slice(0, 12)}`).join(' ')}`)
  return undefined
}

async function listKeys (n: ChaosNode): Promise<FinalEntry[]> {
  const res = await n.node.api<FinalEntry[]>('GET', '/v1/keys')
  if (res.status !== 200) throw new Error(`ls on node ${n.index} answered ${res.status}`)
  return res.body
}
