// Every knob of a run. The user sets a few (nodes, seed, scenario, writes,
// rate, latency, duration); the scenario derives the rest — fault rates, the
// fault timeline, disk and replica settings — from the seed alone, so
// `--seed S` plus the same flags replays a run exactly. A run prints all of
// them before anything else.

import { MycelError } from '../protocol/errors.js'
import type { ReplicaInit } from '../protocol/replica-api.js'
import type { Rule } from '../protocol/rules.js'
import { ATTACKS, type Attack } from './federation/attacks.js'
import { formatMs } from './duration.js'
import { MAX_DURATION_MS, MAX_NODES, MAX_WRITES } from './limits.js'
import type { NetworkKnobs } from './network.js'
import type { Partition } from './partitions.js'

export const SCENARIOS = ['steady', 'partition-heal', 'churn', 'clock-skew', 'chaos', 'byzantine', 'rules'] as const
export type ScenarioName = typeof SCENARIOS[number]

/** What the user chose; everything not given is derived. */
export interface SimOptions {
  seed: number
  nodes?: number
  scenario?: ScenarioName
  writes?: number
  ratePerSec?: number
  latencyMs?: number
  durationMs?: number
  /** Run without a federation (no genesis, no membership, every author trusted): the pre-federation open mesh. */
  open?: boolean
  /** Byzantine members (default: by scenario; 0 in steady). */
  byzantine?: number
  /** What they do (default: every attack). */
  attacks?: Attack[]
}

export const DEFAULTS = {
  nodes: 5,
  scenario: 'steady' as ScenarioName,
  ratePerSec: 100,
  durationMs: 10_000,
  latencyMs: 50
}

export type Fault =
  | { atMs: number, kind: 'partition', partition: Partition }
  | { atMs: number, kind: 'heal' }
  | { atMs: number, kind: 'crash' | 'restart' | 'pause' | 'resume' | 'leave', node: number }
  | { atMs: number, kind: 'join' }
  | { atMs: number, kind: 'clock-set' | 'clock-jump', node: number, ms: number }
  | { atMs: number, kind: 'clock-drift', node: number, ppm: number }
  | { atMs: number, kind: 'link-down' | 'link-up', a: number, b: number }
  | { atMs: number, kind: 'cut-one-way', from: number[], to: number[] }
  | { atMs: number, kind: 'cut-clear' }
  | { atMs: number, kind: 'revoke', node: number }
  | { atMs: number, kind: 'rules', rules: Rule[] }

/** The rules scenario's key space and retention runs (rules-workload.ts); its rule sets are in the fault timeline. */
export interface RulesKnobs {
  /** Keys under the prefix immutable from the start, and under the one immutable from the second rule set. */
  immutableKeys: number
  pinnedKeys: number
  /** Folders under retention, keys written in each, and how many each keeps. */
  folders: number
  keysPerFolder: number
  keep: number
  /** Keys under the replicas rule. */
  replicatedKeys: number
  /** How often one honest writer runs retention on its own state. */
  retentionEveryMs: number
}

export interface Knobs {
  seed: number
  scenario: ScenarioName
  nodes: number
  writes: number
  ratePerSec: number
  /** Length of the safety phase (faults and writes); the liveness phase follows. */
  durationMs: number
  /** Size of the key space writers share; small enough that writes overlap. */
  keys: number
  /** Fraction of writes that are deletes. */
  deleteRatio: number
  network: NetworkKnobs
  fsyncMs: [number, number]
  replica: Required<Pick<ReplicaInit, 'maxClockOffsetMs' | 'antiEntropyIntervalMs' | 'pushDelayMs' | 'pushFanout'>> & {
    /**
     * Anti-entropy rounds between acknowledgements (ReplicaInit.ackEveryRounds, default 5). The rules
     * scenario acknowledges every round, so that collection — which rules make subtler — runs within the run.
     */
    ackEveryRounds?: number
  }
  collectTombstones: boolean
  maxJoins: number
  /** Genesis, signed membership, joins by token, revocations (default); false: an open mesh. */
  federation: boolean
  /** Byzantine members and what each does. */
  byzantine: Array<{ node: number, attacks: Attack[] }>
  /** The rules scenario's workload (admin rule sets are 'rules' faults); undefined elsewhere. */
  rules?: RulesKnobs
  faults: Fault[]
}

/** Validates the user's options and fills in writes/rate/duration from each other. */
export function resolveOptions (o: SimOptions): Required<SimOptions> {
  const nodes = o.nodes ?? DEFAULTS.nodes
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw MycelError.usage(`--nodes must be an integer in [1, ${MAX_NODES}]`)
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw MycelError.usage('--seed must be a non-negative integer')
  let { writes, ratePerSec, durationMs } = o
  if (ratePerSec !== undefined && !(ratePerSec > 0 && ratePerSec <= 1e6)) throw MycelError.usage('--rate must be in (0, 1000000]')
  if (writes !== undefined && (!Number.isInteger(writes) || writes < 0 || writes > MAX_WRITES)) throw MycelError.usage(`--writes must be an integer in [0, ${MAX_WRITES}]`)
  if (durationMs !== undefined && (!(durationMs > 0) || durationMs > MAX_DURATION_MS)) throw MycelError.usage(`--duration must be in (0, ${formatMs(MAX_DURATION_MS)}]`)
  // Any two of writes, rate and duration fix the third; defaults fill the rest.
  if (writes !== undefined && ratePerSec !== undefined && durationMs === undefined) durationMs = Math.ceil(writes / ratePerSec * 1000)
  durationMs ??= DEFAULTS.durationMs
  if (writes !== undefined && ratePerSec === undefined) ratePerSec = writes === 0 ? DEFAULTS.ratePerSec : writes / (durationMs / 1000)
  ratePerSec ??= DEFAULTS.ratePerSec
  writes ??= Math.round(ratePerSec * durationMs / 1000)
  if (writes > MAX_WRITES) throw MycelError.usage(`that is ${writes} writes, over the limit of ${MAX_WRITES}`)
  const latencyMs = o.latencyMs ?? DEFAULTS.latencyMs
  if (!(latencyMs >= 0 && latencyMs <= 60_000)) throw MycelError.usage('--latency must be in [0, 60s]')
  const scenario = o.scenario ?? DEFAULTS.scenario
  if (!SCENARIOS.includes(scenario)) throw MycelError.usage(`unknown scenario '${String(scenario)}' (one of ${SCENARIOS.join(', ')})`)
  const open = o.open ?? false
  const byzantine = o.byzantine ?? -1
  if (!Number.isInteger(byzantine) || byzantine < -1 || (byzantine > 0 && byzantine > Math.max(0, nodes - 2))) throw MycelError.usage(`--byzantine must be an integer in [0, ${Math.max(0, nodes - 2)}] (neither of the two admins n0, n1)`)
  if (open && byzantine > 0) throw MycelError.usage('--byzantine needs a federation (leave out --open)')
  if (open && scenario === 'rules') throw MycelError.usage('--scenario rules needs a federation: rules are written by an admin (leave out --open)')
  const attacks = o.attacks ?? defaultAttacks(scenario)
  for (const a of attacks) if (!ATTACKS.includes(a)) throw MycelError.usage(`unknown attack '${String(a)}' (any of ${ATTACKS.join(', ')})`)
  return { seed: o.seed, nodes, scenario, writes, ratePerSec, durationMs, latencyMs, open, byzantine, attacks }
}

/**
 * What Byzantine members do unless --attacks says: every attack, except in the rules scenario, whose
 * member attacks the rules (overwrite) and the plumbing (withhold, forge-acks, replay, flood) but
 * signs no twins (equivocate, backdate): a proof that voids a member's stable write after the versions
 * it superseded were collected is the open problem of docs/sim.md, which the chaos and byzantine
 * sweeps already hit, and with acknowledgements every round it would drown the rules' own findings.
 */
export function defaultAttacks (scenario: ScenarioName): Attack[] {
  return scenario === 'rules' ? ATTACKS.filter(a => a !== 'equivocate' && a !== 'backdate') : [...ATTACKS]
}

/** The command line that reruns these options exactly. */
export function replayCommand (o: Required<SimOptions>): string {
  const rate = Number.isInteger(o.ratePerSec) ? String(o.ratePerSec) : o.ratePerSec.toFixed(3)
  const usual = defaultAttacks(o.scenario)
  const attacks = o.attacks.length !== usual.length || o.attacks.some(a => !usual.includes(a)) ? ` --attacks ${o.attacks.join(',')}` : ''
  const fed = o.open ? ' --open' : `${o.byzantine >= 0 ? ` --byzantine ${o.byzantine}` : ''}${attacks}`
  return `mycel sim --seed ${o.seed} --scenario ${o.scenario} --nodes ${o.nodes} --writes ${o.writes} --rate ${rate} --latency ${o.latencyMs}ms --duration ${o.durationMs}ms${fed}`
}

export function describeFault (f: Fault): string {
  const t = `${formatMs(f.atMs).padStart(7)}  `
  switch (f.kind) {
    case 'partition': return `${t}partition ${f.partition.summary}`
    case 'heal': return `${t}heal partition`
    case 'cut-clear': return `${t}one-way cuts end`
    case 'join': return `${t}join (a new empty node)`
    case 'clock-set': return `${t}clock n${f.node} set to ${signed(f.ms)}ms`
    case 'clock-jump': return `${t}clock n${f.node} jumps ${signed(f.ms)}ms`
    case 'clock-drift': return `${t}clock n${f.node} drifts ${signed(f.ppm)}ppm`
    case 'link-down': case 'link-up': return `${t}${f.kind} n${f.a}-n${f.b}`
    case 'cut-one-way': return `${t}one-way cut ${list(f.from)} -> ${list(f.to)}`
    case 'leave': return `${t}leave n${f.node} (stops taking writes; departs once a peer's version vector covers it)`
    case 'revoke': return `${t}revoke n${f.node} (by an admin that is up)`
    case 'rules': return `${t}rules by an admin that is up: ${f.rules.map(describeRule).join('; ')}`
    default: return `${t}${f.kind} n${f.node}`
  }
}

function describeRule (r: Rule): string {
  const parts = [
    r.immutable === true ? 'immutable' : '',
    r.deletes !== undefined ? `deletes ${r.deletes}` : '',
    r.replicas !== undefined ? `replicas ${r.replicas}` : '',
    r.retention?.keep !== undefined ? `keep ${r.retention.keep}` : '',
    r.retention?.maxAgeMs !== undefined ? `maxAge ${formatMs(r.retention.maxAgeMs)}` : ''
  ]
  return `${r.prefix === '' ? '(every key)' : r.prefix} ${parts.filter(x => x !== '').join(' ')}`
}

function signed (n: number): string {
  return n >= 0 ? `+${Math.round(n)}` : String(Math.round(n))
}

function list (ids: number[]): string {
  const shown = ids.slice(0, 6).map(i => `n${i}`).join(',')
  return `[${shown}${ids.length > 6 ? `,…${ids.length} nodes` : ''}]`
}

/** The knob printout: seed and every knob, one per line, then the fault timeline. */
export function describeKnobs (k: Knobs, maxFaultLines = 40): string[] {
  const n = k.network
  const lines = [
    `seed ${k.seed}  scenario ${k.scenario}  nodes ${k.nodes}`,
    k.rules === undefined
      ? `workload   ${k.writes} writes at ${round(k.ratePerSec)}/s over ${formatMs(k.durationMs)}; ${k.keys} keys; ${pct(k.deleteRatio)} deletes`
      : `workload   ${k.writes} arrivals at ${round(k.ratePerSec)}/s over ${formatMs(k.durationMs)}, each 1–3 writes under the rules below`,
    `network    latency ${formatMs(n.latencyMs)} ${n.latencyDist} ±${pct(n.jitter)} (links ±${pct(n.linkSpread)}); loss ${pct(n.lossRate)}; dup ${pct(n.duplicateRate)}; reorder ${pct(n.reorderRate)}; capacity ${n.capacityBytesPerSec === 0 ? 'unlimited' : `${Math.round(n.capacityBytesPerSec / 1024)} KiB/s`}`,
    `disk       fsync ${k.fsyncMs[0]}-${k.fsyncMs[1]}ms`,
    `federation ${k.federation ? `genesis n0; admins n0${k.nodes > 2 ? ', n1' : ''}; byzantine ${k.byzantine.length === 0 ? 'none' : k.byzantine.map(b => `n${b.node} (${b.attacks.join(', ')})`).join('; ')}` : 'none (open mesh: every author trusted)'}`,
    ...(k.rules === undefined ? [] : [`rules      ${k.rules.immutableKeys} immutable keys, ${k.rules.pinnedKeys} made immutable later; ${k.rules.folders} folders of ${k.rules.keysPerFolder} keys under retention; ${k.rules.replicatedKeys} replicated keys; retention every ${formatMs(k.rules.retentionEveryMs)}`]),
    `replica    maxClockOffset ${formatMs(k.replica.maxClockOffsetMs)}; antiEntropy every ${formatMs(k.replica.antiEntropyIntervalMs)}; push delay ${k.replica.pushDelayMs}ms, fanout ${k.replica.pushFanout}; tombstone collection ${k.collectTombstones ? 'on' : 'off'}${k.replica.ackEveryRounds !== undefined ? `, acks every ${k.replica.ackEveryRounds} rounds` : ''}`,
    `faults     ${k.faults.length === 0 ? 'none' : `${k.faults.length}:`}`
  ]
  for (const f of k.faults.slice(0, maxFaultLines)) lines.push(`  ${describeFault(f)}`)
  if (k.faults.length > maxFaultLines) lines.push(`  … and ${k.faults.length - maxFaultLines} more`)
  return lines
}

function pct (x: number): string {
  return `${round(x * 100)}%`
}

function round (x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(x < 1 ? 2 : 1)
}
