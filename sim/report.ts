// The report of one run: the contract fields of `mycel sim --json` first (seed,
// nodes, scenario, writes, acknowledged, messages, bytes, msgsPerWrite,
// latencyP50Ms, latencyMaxMs, convergedAfterHealMs, violations, ok, wallMs),
// then detail. Everything but wallMs is a pure function of the knobs, so two
// runs of one seed print byte-identical JSON apart from wallMs.

import type { Violation } from './checkers/types.js'

export interface SimReport {
  seed: number
  nodes: number
  scenario: string
  /** Writes issued by the workload (accepted by some node). */
  writes: number
  /** Writes whose batch became durable at their author. */
  acknowledged: number
  messages: number
  bytes: number
  msgsPerWrite: number
  bytesPerWrite: number
  /** Write issued → it (or a newer version of its key) visible on every live node. */
  latencyP50Ms: number | null
  latencyP99Ms: number | null
  latencyMaxMs: number | null
  /** From the final heal (end of the safety phase) until every live node has the same state; null if never. */
  convergedAfterHealMs: number | null
  /** The same in anti-entropy periods. */
  convergedAfterHealRounds: number | null
  /** The target: 2·(log2 N + ln N) rounds plus one anti-entropy period. */
  convergenceBoundRounds: number
  violations: Violation[]
  ok: boolean
  wallMs: number
  replay: string
  durationMs: number
  virtualMs: number
  liveNodes: number
  detail: {
    messagesByType: Record<string, number>
    lostPackets: number
    cutPackets: number
    duplicatedPackets: number
    writesLostInCrash: number
    writesRefused: number
    writesNeverVisibleEverywhere: number
    /** Acknowledged writes whose latency was measured (all, or every n-th in very large runs). */
    latencySample: number
    eventsHeld: number
    crashes: number
    joins: number
    leaves: number
    revokes: number
    /** Per Byzantine member: what it tried, and whether the honest members hold a fault proof of it. */
    byzantine: Record<string, Record<string, number | boolean>>
    simSteps: number
    /** The rules scenario: writes the cores declined (conflicts, same bytes, deletes the rules refuse), conditional deletes retention wrote, creates of immutable keys seen acknowledged (checkers/immutable.ts). */
    rules?: { declined: number, retentionDeletes: number, immutableAcknowledged: number }
    /** ReplicaStats summed over the live nodes. */
    core: Record<string, number>
  }
  knobs: string[]
  /** [virtual ms, % of live nodes holding the final state, acknowledged writes not yet visible on every node]. */
  convergence: Array<[number, number, number]>
  healAtMs: number
}

/** The value at quantile q (0..1) of sorted numbers, nearest-rank. */
export function quantile (sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i] as number
}

/** Stable JSON for the report (stamps inside violation text are already strings). */
export function reportJson (r: SimReport): string {
  return JSON.stringify(r)
}

/** The report minus its one nondeterministic field, for determinism checks. */
export function withoutWallMs (r: SimReport): Omit<SimReport, 'wallMs'> {
  const { wallMs: _wall, ...rest } = r
  return rest
}
