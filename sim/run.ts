// One run: knobs → cluster → safety phase (workload and fault timeline) →
// liveness phase (heal everything, revive everyone, clocks back within the
// bound, wait for convergence) → checkers → report. Like TigerBeetle's VOPR:
// faults first, then a quiet period in which the system must converge.

import { performance } from 'node:perf_hooks'
import { wallOf } from '../protocol/hlc.js'
import { Cluster, DIGEST_BYTES, holding, toHex, type ClusterComponents, type Sample } from './cluster.js'
import type { Violation } from './checkers/types.js'
import { formatMs } from './duration.js'
import { buildKnobs } from './scenarios.js'
import { describeKnobs, replayCommand, resolveOptions, type Fault, type Knobs, type SimOptions } from './knobs.js'
import { CHART_SAMPLES, EPOCH_MS, MAX_VISIBILITY_MARKS } from './limits.js'
import { Prng } from './prng.js'
import { quantile, type SimReport } from './report.js'
import { RulesWorkload } from './rules-workload.js'
import { Workload } from './workload.js'
import { initialRole } from './federation/federation.js'

/** Samples kept before thinning; the chart shows CHART_SAMPLES of them. */
const MAX_SAMPLES = CHART_SAMPLES * 8
/** How often a rules run looks for acknowledged creates: several times per partition window and per anti-entropy period. */
const RULES_WATCH_MS = 100
/** How often a leaving node checks whether its writes are held elsewhere yet. */
const LEAVE_CHECK_MS = 200

export function runSim (options: SimOptions, components: ClusterComponents = {}): SimReport {
  const resolved = resolveOptions(options)
  const knobs = buildKnobs(resolved)
  return runKnobs(knobs, replayCommand(resolved), components)
}

export function runKnobs (knobs: Knobs, replay: string, components: ClusterComponents = {}): SimReport {
  const started = performance.now()
  const run = new Run(knobs, components)
  const violations: Violation[] = []
  let convergedAt: number | undefined
  try {
    convergedAt = run.execute()
    violations.push(...run.cluster.check())
    if (convergedAt === undefined) violations.unshift({ check: 'convergence', message: `no convergence within ${formatMs(run.budgetMs)} of the heal` })
  } catch (err) {
    violations.push({ check: 'crash', atMs: run.cluster.now(), message: `the run threw: ${(err as Error).stack ?? String(err)}`.slice(0, 2000) })
  }
  return run.report(replay, violations, convergedAt, performance.now() - started)
}

export class Run {
  readonly cluster: Cluster
  readonly k: Knobs
  budgetMs = 0
  private readonly workload: Workload | RulesWorkload
  private readonly leaving = new Set<number>()
  private readonly samples: Sample[] = []
  private sampleEveryMs: number
  private safety = true
  private joins = 0
  private leaves = 0
  private revokes = 0

  constructor (k: Knobs, components: ClusterComponents) {
    this.k = k
    this.cluster = new Cluster({
      seed: k.seed,
      nodes: k.nodes,
      maxJoins: k.maxJoins,
      network: { ...k.network },
      fsyncMs: k.fsyncMs,
      replica: k.replica,
      collectTombstones: k.collectTombstones,
      durableImages: k.faults.some(f => f.kind === 'crash'),
      trackEvery: Math.ceil(k.nodes * k.writes / MAX_VISIBILITY_MARKS),
      federation: k.federation ? { roleOf: initialRole, byzantine: k.byzantine } : undefined,
      rules: k.rules !== undefined
    }, components)
    const random = Prng.derive(k.seed, 'workload')
    this.workload = k.rules === undefined ? new Workload(this.cluster, k, random, n => this.canWrite(n)) : new RulesWorkload(this.cluster, k, random, n => this.canWrite(n))
    this.sampleEveryMs = Math.max(20, Math.round(k.durationMs / CHART_SAMPLES))
  }

  /** Runs both phases; returns when the live nodes agreed after the heal, or undefined. */
  execute (): number | undefined {
    const c = this.cluster
    for (const f of this.k.faults) c.at(f.atMs, () => { if (this.safety) this.apply(f) })
    this.workload.start()
    this.sampleLoop()
    if (this.k.rules !== undefined) this.watchLoop()
    c.runUntil(this.k.durationMs)
    this.heal()
    this.budgetMs = this.quietBudgetMs()
    const confirmMs = this.k.replica.antiEntropyIntervalMs + 4 * this.k.network.latencyMs
    return c.settle(this.budgetMs, confirmMs)
  }

  private canWrite (n: number): boolean {
    return !this.leaving.has(n)
  }

  private apply (f: Fault): void {
    const c = this.cluster
    switch (f.kind) {
      case 'partition': c.partition(f.partition); return
      case 'heal': c.partition(undefined); return
      case 'crash': c.crash(f.node); return
      case 'restart': c.restart(f.node); return
      case 'pause': c.pause(f.node); return
      case 'resume': c.resume(f.node); return
      case 'join': c.join(); this.joins++; return
      case 'leave': this.leaving.add(f.node); this.leaveWhenSafe(f.node); return
      case 'clock-set': c.node(f.node).clock.set(f.ms); return
      case 'clock-jump': c.node(f.node).clock.jump(f.ms); return
      case 'clock-drift': c.node(f.node).clock.drift(f.ppm); return
      case 'link-down': c.setLinkDown(f.a, f.b, true); return
      case 'link-up': c.setLinkDown(f.a, f.b, false); return
      case 'cut-one-way': c.cutOneWay(f.from, f.to); return
      case 'cut-clear': c.network.clearOneWayCuts(); return
      case 'revoke': if (c.revoke(f.node)) this.revokes++; return
      case 'rules': c.writeRules(f.rules)
    }
  }

  /**
   * A graceful leave: the node takes no more writes and departs once the
   * version vectors of f+1 live peers cover its whole own sequence, f being
   * the run's Byzantine members — what `mycel leave` should wait for (with
   * one holder, a withholding member could be the only copy: seed 38195 of
   * the 9-node chaos sweep lost a leaver's acknowledged writes that way). (Before the core relayed events held above a gap, "some
   * peer holds each of my writes" was not enough: sweep seed 139.)
   */
  private leaveWhenSafe (n: number): void {
    const c = this.cluster
    c.at(c.now() + LEAVE_CHECK_MS, () => {
      if (!this.safety || !this.leaving.has(n)) return
      const node = c.node(n)
      const own = node.replica?.versionVector().find(([a]) => a === node.id)?.[1] ?? 0
      // Held by more peers than there are Byzantine members: a withholder among them cannot be the only copy.
      const holders = c.liveNodes().filter(p => p !== node && (p.replica?.versionVector().find(([a]) => a === node.id)?.[1] ?? 0) >= own).length
      const covered = holders > this.k.byzantine.length
      if (node.status !== 'up' || node.pendingWriteCount() > 0 || !covered) { this.leaveWhenSafe(n); return }
      c.leave(n)
      this.leaves++
    })
  }

  /** The liveness phase begins: every fault is lifted. */
  private heal (): void {
    const c = this.cluster
    this.safety = false
    this.leaving.clear()
    c.stopAdversaries()
    c.network.knobs = { ...c.network.knobs, lossRate: 0, duplicateRate: 0 }
    c.heal()
    const bound = this.k.replica.maxClockOffsetMs
    for (const n of c.nodes) {
      const err = n.clock.errorMs()
      if (Math.abs(err) > 0.4 * bound) n.clock.set(Math.sign(err) * 0.4 * bound)
    }
    c.reviveAll()
  }

  /** Long enough for dozens of anti-entropy rounds, plus however far ahead any stamp already is. */
  private quietBudgetMs (): number {
    const c = this.cluster
    const bound = this.k.replica.maxClockOffsetMs
    let aheadMs = 0
    for (const n of c.nodes) {
      const hw = n.replica?.highWater() ?? 0n
      aheadMs = Math.max(aheadMs, wallOf(hw) - (EPOCH_MS + c.now()) - bound)
    }
    return Math.max(30_000, 40 * this.k.replica.antiEntropyIntervalMs) + Math.max(0, aheadMs) + bound
  }

  /** Creates of immutable keys acknowledged (checkers/immutable.ts), looked for through both phases. */
  private watchLoop (): void {
    const c = this.cluster
    c.watchRules()
    c.at(c.now() + RULES_WATCH_MS, () => this.watchLoop())
  }

  private sampleLoop (): void {
    const c = this.cluster
    this.samples.push(c.sample())
    if (this.samples.length >= MAX_SAMPLES) {
      const kept = this.samples.filter((_, i) => i % 2 === 0)
      this.samples.length = 0
      this.samples.push(...kept)
      this.sampleEveryMs *= 2
    }
    c.at(c.now() + this.sampleEveryMs, () => this.sampleLoop())
  }

  report (replay: string, violations: Violation[], convergedAt: number | undefined, wallMs: number): SimReport {
    const c = this.cluster
    const k = this.k
    const live = c.liveNodes().map(n => n.index)
    const latencies = c.history.latencies(live)
    const seen = latencies.filter((x): x is number => x !== undefined).sort((a, b) => a - b)
    const acked = c.history.acknowledged().length
    const net = c.network.counters
    const convergedAfter = convergedAt === undefined ? null : convergedAt - k.durationMs
    const n = k.nodes
    return {
      seed: k.seed,
      nodes: n,
      scenario: k.scenario,
      writes: c.history.writes.length,
      acknowledged: acked,
      messages: net.sent,
      bytes: net.bytes,
      msgsPerWrite: round2(acked === 0 ? 0 : net.sent / acked),
      bytesPerWrite: Math.round(acked === 0 ? 0 : net.bytes / acked),
      latencyP50Ms: round2n(quantile(seen, 0.5)),
      latencyP99Ms: round2n(quantile(seen, 0.99)),
      latencyMaxMs: round2n(quantile(seen, 1)),
      convergedAfterHealMs: round2n(convergedAfter),
      convergedAfterHealRounds: convergedAfter === null ? null : round2(convergedAfter / k.replica.antiEntropyIntervalMs),
      convergenceBoundRounds: round2(2 * (Math.log2(n) + Math.log(n)) + 1),
      violations,
      ok: violations.length === 0,
      wallMs: Math.round(wallMs),
      replay,
      durationMs: k.durationMs,
      virtualMs: round2(c.now()),
      liveNodes: live.length,
      detail: {
        messagesByType: { ...c.messagesByType },
        lostPackets: net.lost,
        cutPackets: net.cut,
        duplicatedPackets: net.duplicated,
        writesLostInCrash: c.history.writes.filter(w => w.lostInCrash).length,
        writesRefused: this.workload.refused,
        ...(this.workload instanceof RulesWorkload ? { rules: { declined: this.workload.declined, retentionDeletes: this.workload.retentionDeletes, immutableAcknowledged: [...c.immutableWatch.acknowledged.values()].reduce((n, l) => n + l.length, 0) } } : {}),
        writesNeverVisibleEverywhere: latencies.length - seen.length,
        latencySample: latencies.length,
        eventsHeld: c.held,
        crashes: c.nodes.reduce((s, x) => s + x.crashes, 0),
        joins: this.joins,
        leaves: this.leaves,
        revokes: this.revokes,
        byzantine: Object.fromEntries([...c.adversaries].map(([i, a]) => [`n${i}`, { ...a.tried, suspended: c.liveNodes().some(n => !c.isByzantine(n.index) && n.replica?.members?.()?.cutOf(`n${i}`)?.kind === 'fault') }])),
        simSteps: c.queue.steps(),
        core: coreTotals(c)
      },
      knobs: describeKnobs(k),
      convergence: this.chart(),
      healAtMs: k.durationMs
    }
  }

  /** Per sample: % of live nodes holding the final state, acknowledged writes not yet visible everywhere. */
  private chart (): Array<[number, number, number]> {
    const final = this.cluster.sample()
    // The digest most live nodes hold at the end; the chart follows its spread.
    const counts = new Map<string, { digest: Uint8Array, count: number }>()
    for (let at = 0; at < final.digests.length; at += DIGEST_BYTES) {
      const digest = final.digests.subarray(at, at + DIGEST_BYTES)
      const hex = toHex(digest)
      const entry = counts.get(hex)
      if (entry === undefined) counts.set(hex, { digest, count: 1 })
      else entry.count++
    }
    let top: Uint8Array | undefined
    let best = -1
    for (const { digest, count } of counts.values()) if (count > best) { best = count; top = digest }
    const pct = (s: Sample, n: number): number => (s.live === 0 ? 0 : round2(100 * n / s.live))
    const out: Array<[number, number, number]> = this.samples.map(s => [s.atMs, pct(s, top === undefined ? 0 : holding(s, top)), s.backlog])
    out.push([round2(final.atMs), pct(final, best), final.backlog])
    return out
  }
}

/** The core's own counters summed over live nodes (since their last restart). */
function coreTotals (c: Cluster): Record<string, number> {
  const t: Record<string, number> = {}
  for (const n of c.liveNodes()) {
    const s = n.replica?.stats()
    if (s === undefined) continue
    for (const [k, v] of Object.entries(s)) t[k] = (t[k] ?? 0) + v
  }
  return t
}

function round2 (x: number): number {
  return Math.round(x * 100) / 100
}

function round2n (x: number | null): number | null {
  return x === null ? null : round2(x)
}
