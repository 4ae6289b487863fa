// The named scenarios: each turns the user's options and the seed into the
// full set of knobs and a fault timeline for the safety phase. After the
// timeline, every run has the same liveness phase (run.ts): heal the network,
// revive every node, bring clocks within the bound, wait for convergence.
//
//   steady          no faults: the baseline (Gossip Glomers' broadcast profile)
//   partition-heal  a partition of a seed-chosen shape until the final heal; light loss
//   churn           crashes with restarts, pauses, joins and a leave; slow fsync
//   clock-skew      skewed, drifting and jumping clocks, one beyond the bound
//   chaos           all of the above at once, plus duplication, reordering,
//                   capacity limits, flapping links and one-way cuts; a
//                   Byzantine member and revocations
//   byzantine       a fifth of the members Byzantine (every attack of
//                   federation/byzantine.ts), revocations, a join, a partition
//   rules           artifact rules (rules-workload.ts): an admin's rule sets, concurrent
//                   creates of immutable keys across partitions and skewed clocks,
//                   deletes by writers and admins, retention runs; crashes, a
//                   Byzantine member that overwrites immutable keys
//
// Every scenario runs a federation (genesis, signed membership, joins by
// token) unless --open asks for the open mesh.

import type { Rule } from '../protocol/rules.js'
import type { Fault, Knobs, ScenarioName, SimOptions } from './knobs.js'
import { calmNetwork, type NetworkKnobs } from './network.js'
import { PARTITION_SHAPES, planPartition } from './partitions.js'
import { Prng } from './prng.js'
import type { Attack } from './federation/byzantine.js'
import { initialRole } from './federation/federation.js'
import { rulesFor } from './rules-workload.js'

/** Tombstone acks are O(members²) per round in the core; beyond this many nodes collection is left off. */
const TOMBSTONE_COLLECTION_MAX_NODES = 64

/** The clock-offset bound in the clock scenarios: small, so far-ahead stamps are released within a short quiet period. */
const SKEW_SCENARIO_OFFSET_MS = 5000

export function buildKnobs (o: Required<SimOptions>): Knobs {
  const r = Prng.derive(o.seed, `knobs:${o.scenario}`)
  const network: NetworkKnobs = calmNetwork(o.latencyMs)
  const k: Knobs = {
    seed: o.seed,
    scenario: o.scenario,
    nodes: o.nodes,
    writes: o.writes,
    ratePerSec: o.ratePerSec,
    durationMs: o.durationMs,
    keys: Math.max(4, Math.min(1000, Math.round(2 * Math.sqrt(o.writes)))),
    deleteRatio: 0.2,
    network,
    fsyncMs: [1, 4],
    replica: { maxClockOffsetMs: 60_000, antiEntropyIntervalMs: 1000, pushDelayMs: 10, pushFanout: 32 },
    collectTombstones: o.nodes <= TOMBSTONE_COLLECTION_MAX_NODES,
    maxJoins: 0,
    federation: !o.open,
    byzantine: [],
    faults: []
  }
  const plan = new Planner(k, r)
  PLANS[o.scenario](k, r, plan)
  if (o.byzantine >= 0) plan.byzantine(o.byzantine, o.attacks)
  else if (k.federation) plan.byzantine(BYZANTINE_BY_SCENARIO[o.scenario](k.nodes), o.attacks)
  k.faults.sort((a, b) => a.atMs - b.atMs)
  return k
}

type Plan = (k: Knobs, r: Prng, p: Planner) => void

/** Byzantine members a scenario has unless --byzantine says otherwise (never the admins n0, n1). */
const BYZANTINE_BY_SCENARIO: Record<ScenarioName, (nodes: number) => number> = {
  steady: () => 0,
  'partition-heal': () => 0,
  churn: () => 0,
  'clock-skew': () => 0,
  chaos: n => (n >= 4 ? 1 : 0),
  rules: n => (n >= 4 ? 1 : 0),
  byzantine: n => Math.min(Math.max(0, n - 2), Math.max(1, Math.round(n / 5)))
}

const PLANS: Record<ScenarioName, Plan> = {
  steady: () => {},
  'partition-heal': (k, r, p) => {
    k.network.lossRate = r.pick([0, 0, 0.001, 0.01])
    // The partition lasts until the liveness phase heals it, so convergedAfterHealMs measures
    // how fast the sides reconcile, not how fast the last writes spread.
    p.partitionUntilEnd()
  },
  churn: (k, r, p) => {
    k.fsyncMs = [2, r.pick([10, 20, 50])]
    p.crashes(Math.max(1, Math.min(50, Math.round(k.nodes * r.range(0.1, 0.3)))))
    p.pauses(Math.max(1, Math.min(20, Math.round(k.nodes * 0.1))))
    p.joins(1 + r.int(2))
    if (k.nodes >= 4) p.leaves(1)
    if (k.federation && k.nodes >= 4) p.revokes(1)
  },
  'clock-skew': (k, r, p) => {
    k.replica.maxClockOffsetMs = SKEW_SCENARIO_OFFSET_MS
    p.clocks(true)
  },
  chaos: (k, r, p) => {
    k.replica.maxClockOffsetMs = SKEW_SCENARIO_OFFSET_MS
    k.network.latencyDist = r.pick(['uniform', 'exponential'])
    k.network.lossRate = r.pick([0.001, 0.01, 0.05])
    k.network.duplicateRate = r.pick([0, 0.01, 0.05])
    k.network.reorderRate = r.pick([0, 0.05, 0.2])
    k.network.capacityBytesPerSec = r.pick([0, 1024 * 1024, 128 * 1024])
    k.fsyncMs = [1, r.pick([5, 20, 50])]
    p.partitions(1 + r.int(3))
    p.flaps(1 + r.int(3))
    p.oneWayCuts(r.int(3))
    p.crashes(Math.max(1, Math.min(30, Math.round(k.nodes * r.range(0.1, 0.3)))))
    p.pauses(Math.max(1, Math.min(10, Math.round(k.nodes * 0.1))))
    p.clocks(r.chance(0.5))
    if (r.chance(0.5)) p.joins(1)
    if (k.nodes >= 5 && r.chance(0.5)) p.leaves(1)
    if (k.federation && k.nodes >= 5) p.revokes(r.int(2))
  },
  rules: (k, r, p) => {
    k.replica.maxClockOffsetMs = SKEW_SCENARIO_OFFSET_MS
    k.replica.ackEveryRounds = 1
    k.rules = { immutableKeys: 4, pinnedKeys: 3, folders: 2, keysPerFolder: 5, keep: 1 + r.int(3), replicatedKeys: 4, retentionEveryMs: 250 }
    k.network.lossRate = r.pick([0, 0.01])
    k.network.reorderRate = r.pick([0, 0.1])
    p.ruleSets(rulesFor(k.rules, k.nodes, false), rulesFor(k.rules, k.nodes, true))
    p.partitions(1 + r.int(2))
    p.clocks(r.chance(0.5))
    p.crashes(Math.max(1, Math.round(k.nodes * 0.2)))
    if (r.chance(0.3)) p.joins(1)
    // A member revoked while cut off misses what the others collect without its ack, acknowledging
    // every round as here: the federation cuts it off, and the checkers judge members only (judge.ts).
    if (k.federation && k.nodes >= 4 && r.chance(0.5)) p.revokes(1)
  },
  byzantine: (k, r, p) => {
    k.network.lossRate = r.pick([0, 0.01])
    k.network.duplicateRate = r.pick([0, 0.02])
    k.network.reorderRate = r.pick([0, 0.1])
    p.partitions(1 + r.int(2))
    p.crashes(Math.max(1, Math.round(k.nodes * 0.1)))
    if (r.chance(0.5)) p.joins(1)
    if (k.nodes >= 4) p.revokes(1 + r.int(2))
  }
}

/** Draws fault timelines; keeps one node from being crashed, paused or removed twice at once. */
class Planner {
  private readonly k: Knobs
  private readonly r: Prng
  private readonly busyUntil: number[]

  constructor (k: Knobs, r: Prng) {
    this.k = k
    this.r = r
    this.busyUntil = new Array<number>(k.nodes).fill(-1)
  }

  private get d (): number { return this.k.durationMs }

  private add (f: Fault): void { this.k.faults.push(f) }

  /** A node free over [from, to), or undefined. Node 0 is never removed, so a federation always keeps a member. */
  private freeNode (from: number, to: number, keepOne = true): number | undefined {
    for (let tries = 0; tries < 8; tries++) {
      const n = this.r.int(this.k.nodes)
      if (keepOne && n === 0 && this.k.nodes > 1) continue
      if ((this.busyUntil[n] as number) < from) {
        this.busyUntil[n] = to
        return n
      }
    }
    return undefined
  }

  /** `count` partition windows of seed-chosen shapes, spread over the middle of the run. */
  partitions (count: number): void {
    const lo = 0.1 * this.d
    const slot = 0.8 * this.d / count
    for (let i = 0; i < count; i++) {
      const begin = lo + i * slot
      const start = Math.round(begin + this.r.range(0, 0.3) * slot)
      const end = Math.round(begin + this.r.range(0.6, 1) * slot)
      const shape = this.r.pick(PARTITION_SHAPES)
      this.add({ atMs: start, kind: 'partition', partition: planPartition(shape, this.k.nodes, this.r) })
      this.add({ atMs: end, kind: 'heal' })
    }
  }

  /** One partition of a seed-chosen shape from early in the run until the final heal. */
  partitionUntilEnd (): void {
    const shape = this.r.pick(PARTITION_SHAPES)
    const start = Math.round(this.r.range(0.1, 0.3) * this.d)
    this.add({ atMs: start, kind: 'partition', partition: planPartition(shape, this.k.nodes, this.r) })
  }

  crashes (count: number): void {
    for (let i = 0; i < count; i++) {
      const at = Math.round(this.r.range(0.05, 0.85) * this.d)
      const back = at + Math.round(this.r.range(300, 3000))
      const n = this.freeNode(at, back)
      if (n === undefined) continue
      this.add({ atMs: at, kind: 'crash', node: n })
      this.add({ atMs: back, kind: 'restart', node: n })
    }
  }

  pauses (count: number): void {
    for (let i = 0; i < count; i++) {
      const at = Math.round(this.r.range(0.05, 0.85) * this.d)
      const back = at + Math.round(this.r.range(200, 2000))
      const n = this.freeNode(at, back, false)
      if (n === undefined) continue
      this.add({ atMs: at, kind: 'pause', node: n })
      this.add({ atMs: back, kind: 'resume', node: n })
    }
  }

  /** Byzantine members, chosen among the non-admins (n2 and up). */
  byzantine (count: number, attacks: Attack[]): void {
    if (!this.k.federation || count <= 0 || this.k.nodes < 3) return
    // Writers first (a writer's lies reach further than a reader's), then readers.
    const order = this.r.sample(this.k.nodes - 2, this.k.nodes - 2).map(i => i + 2)
    const chosen = [...order.filter(i => initialRole(i) === 'writer'), ...order.filter(i => initialRole(i) !== 'writer')].slice(0, count).sort((a, b) => a - b)
    this.k.byzantine = chosen.map(node => ({ node, attacks: [...attacks] }))
  }

  /** An admin writes `first` at the start and `second` a third to a half of the way in. */
  ruleSets (first: Rule[], second: Rule[]): void {
    this.add({ atMs: 0, kind: 'rules', rules: first })
    this.add({ atMs: Math.round(this.r.range(0.3, 0.5) * this.d), kind: 'rules', rules: second })
  }

  /** An admin that is up revokes a member (never n0 or n1, the admins). */
  revokes (count: number): void {
    if (this.k.nodes < 4) return
    for (let i = 0; i < count; i++) {
      const at = Math.round(this.r.range(0.2, 0.8) * this.d)
      this.add({ atMs: at, kind: 'revoke', node: 2 + this.r.int(this.k.nodes - 2) })
    }
  }

  joins (count: number): void {
    this.k.maxJoins += count
    for (let i = 0; i < count; i++) this.add({ atMs: Math.round(this.r.range(0.1, 0.7) * this.d), kind: 'join' })
  }

  leaves (count: number): void {
    for (let i = 0; i < count; i++) {
      const at = Math.round(this.r.range(0.2, 0.6) * this.d)
      const n = this.freeNode(at, Infinity)
      if (n !== undefined) this.add({ atMs: at, kind: 'leave', node: n })
    }
  }

  /** Links between ring neighbours (linked in every topology) go down and up every few hundred ms. */
  flaps (count: number): void {
    const n = this.k.nodes
    if (n < 2) return
    for (let i = 0; i < count; i++) {
      const a = this.r.int(n)
      const b = (a + 1) % n
      const start = this.r.range(0.05, 0.5) * this.d
      const end = start + this.r.range(0.2, 0.4) * this.d
      const periodMs = this.r.range(100, 600)
      let down = true
      for (let t = start; t < end; t += periodMs) {
        this.add({ atMs: Math.round(t), kind: down ? 'link-down' : 'link-up', a, b })
        down = !down
      }
      this.add({ atMs: Math.round(end), kind: 'link-up', a, b })
    }
  }

  oneWayCuts (count: number): void {
    const n = this.k.nodes
    if (n < 2) return
    for (let i = 0; i < count; i++) {
      const order = this.r.sample(n, n)
      const size = 1 + this.r.int(Math.max(1, Math.floor(n / 3)))
      const start = Math.round(this.r.range(0.1, 0.6) * this.d)
      const end = start + Math.round(this.r.range(0.1, 0.3) * this.d)
      this.add({ atMs: start, kind: 'cut-one-way', from: order.slice(0, size), to: order.slice(size) })
      this.add({ atMs: end, kind: 'cut-clear' })
    }
  }

  /**
   * Every clock starts skewed within ±40 % of the bound; a third drift; a few
   * jump either way within the bound; with `beyond`, one node jumps past the
   * bound for a while — its writes must be held, never obeyed, by the others.
   */
  clocks (beyond: boolean): void {
    const bound = this.k.replica.maxClockOffsetMs
    for (let n = 0; n < this.k.nodes; n++) {
      this.add({ atMs: 0, kind: 'clock-set', node: n, ms: Math.round(this.r.range(-0.4, 0.4) * bound) })
      if (this.r.chance(1 / 3)) this.add({ atMs: 0, kind: 'clock-drift', node: n, ppm: Math.round(this.r.range(-2000, 2000)) })
    }
    const jumps = 1 + this.r.int(3)
    for (let i = 0; i < jumps; i++) {
      const n = this.r.int(this.k.nodes)
      const at = Math.round(this.r.range(0.1, 0.8) * this.d)
      this.add({ atMs: at, kind: 'clock-jump', node: n, ms: Math.round(this.r.range(-0.3, 0.3) * bound) })
    }
    if (beyond) {
      const n = this.r.int(this.k.nodes)
      const at = Math.round(this.r.range(0.1, 0.6) * this.d)
      const ms = Math.round(this.r.range(1.2, 2) * bound)
      this.add({ atMs: at, kind: 'clock-jump', node: n, ms })
      this.add({ atMs: at + Math.round(this.r.range(500, 2000)), kind: 'clock-jump', node: n, ms: -ms })
    }
  }
}
