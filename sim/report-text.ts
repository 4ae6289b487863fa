// The human summary of a run: knobs first (already printed by the CLI before
// the run starts), then figures, the convergence chart, the verdict and, on
// failure, the one command that replays the run.

import { asciiChart } from './chart.js'
import { formatMs } from './duration.js'
import type { SimReport } from './report.js'

export function reportText (r: SimReport): string {
  const d = r.detail
  const byType = Object.entries(d.messagesByType).map(([t, n]) => `${t} ${n}`).join(', ')
  const ms = (x: number | null): string => (x === null ? '—' : formatMs(x))
  const lines = [
    '',
    `writes       ${r.writes} issued, ${r.acknowledged} acknowledged${d.writesLostInCrash > 0 ? ` (${d.writesLostInCrash} lost in crashes before durable: never acknowledged)` : ''}${d.writesRefused > 0 ? `; ${d.writesRefused} found no node to take them` : ''}`,
    `messages     ${r.messages} (${r.msgsPerWrite} per write), ${formatBytes(r.bytes)} (${formatBytes(r.bytesPerWrite)} per write)`,
    `             ${byType}`,
    `latency      p50 ${ms(r.latencyP50Ms)}  p99 ${ms(r.latencyP99Ms)}  max ${ms(r.latencyMaxMs)}  (write → visible on every live node${d.latencySample < r.acknowledged ? `; sampled ${d.latencySample} writes` : ''})${d.writesNeverVisibleEverywhere > 0 ? `; ${d.writesNeverVisibleEverywhere} never were` : ''}`,
    `convergence  ${r.convergedAfterHealMs === null ? 'never' : `${formatMs(r.convergedAfterHealMs)} after the heal = ${r.convergedAfterHealRounds} anti-entropy periods (target ≤ ${r.convergenceBoundRounds})`}; ${r.liveNodes} live nodes`,
    `faults       ${d.crashes} crashes, ${d.joins} joins, ${d.leaves} leaves; packets ${d.lostPackets} lost, ${d.cutPackets} cut, ${d.duplicatedPackets} duplicated; ${d.eventsHeld} events held for clock offset`,
    ...(d.rules === undefined ? [] : [`rules        ${d.rules.declined} writes declined by the rules or roles; ${d.rules.retentionDeletes} retention deletes; ${d.rules.immutableAcknowledged} immutable creates seen acknowledged (stable)`]),
    `virtual      ${formatMs(r.virtualMs)} simulated in ${formatMs(r.wallMs)} wall (${d.simSteps} steps)`,
    '',
    '% of live nodes holding the final state:',
    ...asciiChart(r.convergence.map(([t, nodes]) => [t, nodes]), r.healAtMs),
    '',
    'acknowledged writes not yet visible on every node:',
    ...asciiChart(r.convergence.map(([t, , backlog]) => [t, backlog]), r.healAtMs, { unit: '' }),
    ''
  ]
  if (r.ok) {
    lines.push(`ok: all live nodes converged; 0 lost acknowledged writes; 0 resurrected deletes; 0 events obeyed beyond the clock offset bound${d.rules === undefined ? '' : '; first creates win, acknowledged ones stay; retention removes only what it should; replicas placed alike everywhere'}`)
  } else {
    lines.push(`VIOLATED (${r.violations.length}):`)
    for (const v of r.violations) lines.push(`  [${v.check}]${v.atMs !== undefined ? ` at ${formatMs(v.atMs)}` : ''} ${v.message}`)
    lines.push('', `replay: ${r.replay}`)
  }
  return lines.join('\n') + '\n'
}

export function formatBytes (n: number): string {
  if (n < 1024) return `${Math.round(n)} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}
