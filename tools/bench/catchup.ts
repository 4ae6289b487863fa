// 3. Metadata catch-up: N publishes of tiny blobs on A, then a fresh member
// joins with an invite; the time from spawning its process until its status
// reports every key A has, and the rate at which it applied them. The joiner
// replicates blobs on demand, so this is the metadata alone. Run at
// 10 000 then 100 000 keys on the same A (quick: 1 000 then 5 000).
//   catchup-<n>-s               spawn → every key (process start and join included)
//   catchup-<n>-events-per-s    keys ÷ that time: conservative, as process start counts against it
//   catchup-<n>-rss-mib         the larger peak RSS of A and the joiner (6)
//   catchup-<n>-apply-events-per-s  events the joiner applied ÷ the time from its first applied
//                               remote event to its last (its own status.stats.remoteApplied):
//                               the applying rate alone, without process start and join
//   catchup-<n>-duplicates      events the joiner received again (status.stats.duplicates)

import type { Node } from '../../test/helpers/daemons.js'
import { joinNode, keysOf, peakRssMib, publishMany, remoteAppliedOf, startNode, until } from './procs.js'
import { result, type BenchResult, type Benchmark } from './result.js'

/** Requests in flight while filling A: group commit profits; 48 ran into the API's connection cap (64) as keep-alive sockets linger. */
const FILL_IN_FLIGHT = 32
/** A catch-up slower than this is a failure, not a figure (bounds the run). */
const CATCHUP_TIMEOUT_MS = 10 * 60_000
/** Status polls while catching up: often enough for ~1 % resolution at 100 000 keys. */
const POLL_MS = 20

interface Step { label: string, keys: number }

export const catchupBench: Benchmark = {
  id: 'catchup',
  title: 'metadata catch-up of a fresh member',
  names: ['catchup-10k-s', 'catchup-10k-events-per-s', 'catchup-10k-apply-events-per-s', 'catchup-10k-rss-mib', 'catchup-100k-s', 'catchup-100k-events-per-s', 'catchup-100k-apply-events-per-s', 'catchup-100k-rss-mib'],
  async run (ctx) {
    const steps: Step[] = ctx.quick ? [{ label: '10k', keys: 1000 }, { label: '100k', keys: 5000 }] : [{ label: '10k', keys: 10_000 }, { label: '100k', keys: 100_000 }]
    const out: BenchResult[] = []
    const a = await startNode()
    try {
      let published = 0
      for (const step of steps) {
        ctx.say(`publishing up to ${step.keys} keys on A`)
        const s = await publishMany(a, `m${step.label}`, step.keys - published, FILL_IN_FLIGHT, i => `meta ${step.label} ${i}`)
        ctx.say(`  ${step.keys - published} publishes in ${s.toFixed(1)} s`)
        published = step.keys
        out.push(...await joinAndMeasure(a, step, ctx.say))
      }
      return out
    } finally {
      await a.destroy()
    }
  }
}

async function joinAndMeasure (a: Node, step: Step, say: (l: string) => void): Promise<BenchResult[]> {
  const total = await keysOf(a)
  // Metadata only: the joiner does not mirror the blobs meanwhile (eager mirroring would compete for the CPU).
  const { node: b, spawnedAt } = await joinNode(a, { replicate: 'on-demand' })
  try {
    const readyAt = performance.now()
    await until(`the joiner holds ${total} keys`, async () => await keysOf(b) >= total, CATCHUP_TIMEOUT_MS, POLL_MS)
    const doneAt = performance.now()
    const seconds = (doneAt - spawnedAt) / 1000
    say(`  joiner caught up on ${total} keys in ${seconds.toFixed(2)} s (ready after ${((readyAt - spawnedAt) / 1000).toFixed(2)} s)`)
    const note = `${total} keys`
    const rss = Math.max(await peakRssMib(a), await peakRssMib(b))
    const applied = await remoteAppliedOf(b)
    const applySeconds = (applied.lastAtMs - applied.firstAtMs) / 1000
    const duplicates = (await b.api<{ stats: { duplicates: number } }>('GET', '/v1/status')).body.stats.duplicates
    say(`  the joiner applied ${applied.count} events in ${applySeconds.toFixed(2)} s (first to last); ${duplicates} arrived again`)
    return [
      result(`catchup-${step.label}-s`, seconds, 's', { note: `${note}; process spawn included` }),
      result(`catchup-${step.label}-events-per-s`, total / seconds, 'events/s', { target: step.label === '100k' ? '>= 20000' : undefined, note: 'keys ÷ catch-up seconds (spawn included): the conservative figure' }),
      result(`catchup-${step.label}-apply-events-per-s`, applied.count / applySeconds, 'events/s', { note: `${applied.count} events ÷ ${applySeconds.toFixed(2)} s from the joiner's first applied event to its last (its status.stats.remoteApplied); no spawn or join` }),
      result(`catchup-${step.label}-duplicates`, duplicates, 'events', { note: 'events the joiner received again (its status.stats.duplicates): a second stream of the same events' }),
      result(`catchup-${step.label}-rss-mib`, rss, 'MiB', { note: 'larger of A and the joiner' })
    ]
  } finally {
    await b.destroy()
  }
}
