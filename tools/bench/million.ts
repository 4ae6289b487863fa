// 9. A million keys (#25): a founder's data dir holding N keys is written offline (many-keys.ts:
// the core's own signed puts, each with its tiny blob on disk), then a daemon starts on it, sits
// idle, is caught up on by a fresh member, and takes publishes. Run at 100 000 then 1 000 000 keys
// (quick: 100 000 alone); MYCEL_BENCH_MILLION_KEYS=300000 puts another count in place of the million
// (its names say 300k). Not in the default run (~10 min and ~9 GiB of disk at a million):
// `npm run bench -- --only million`.
//   startup-<n>-s                 spawn → the API's status reports all n keys
//   steady-<n>-rss-mib            VmRSS of that daemon, idle STEADY_WAIT_MS after it reported them
//   steady-<n>-hwm-mib            its VmHWM then (the start's peak)
//   steady-<n>-heap-mib           its V8 heapUsed then (status.stats.memory)
//   catchup-<n>-s, catchup-<n>-events-per-s, catchup-<n>-apply-events-per-s
//                                 a fresh member joins by invite (on-demand blobs): as catchup.ts
//   catchup-<n>-rss-mib           the larger VmHWM of the inviter and the joiner
//   publish-1kib-at-<n>-per-s     publish.ts's method (1 KiB, 32 in flight) on the daemon holding n
//                                 keys, the joiner gone: 10 000 publishes (quick: 1 000)
// A daemon that dies (out of memory, say) fails the step with its last log lines; the steps before
// keep their figures.

import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeManyKeys } from './many-keys.js'
import { joinNode, keysOf, Node, peakRssMib, publishMany, remoteAppliedOf, rssMib } from './procs.js'
import { result, skipped, type BenchResult, type Benchmark } from './result.js'

/** Idle time before the steady figures: past the start's own work (site reports, the blob layer's first sweep of its keys). */
const STEADY_WAIT_MS = 5_000
/** A start or catch-up slower than this is a failure, not a figure (bounds the run). */
const START_TIMEOUT_MS = 10 * 60_000
const CATCHUP_TIMEOUT_MS = 20 * 60_000
/** Status polls: ~1 % resolution at 100 000 keys caught up at ~10 000/s. */
const POLL_MS = 20
/** As publish.ts. */
const PUBLISH_IN_FLIGHT = 32
const ONE_KIB = 'x'.repeat(1024)

interface Step { label: string, keys: number }

export const millionBench: Benchmark = {
  id: 'million',
  title: 'a daemon holding a million keys: start, idle memory, catch-up, publish (#25)',
  optIn: true,
  names: ['100k', '1m'].flatMap(namesOf),
  async run (ctx) {
    const big = Number(process.env.MYCEL_BENCH_MILLION_KEYS ?? 1_000_000)
    if (!Number.isSafeInteger(big) || big < 1) throw new Error(`MYCEL_BENCH_MILLION_KEYS=${process.env.MYCEL_BENCH_MILLION_KEYS ?? ''} is not a count`)
    const steps: Step[] = [{ label: '100k', keys: 100_000 }]
    if (!ctx.quick) steps.push({ label: labelOf(big), keys: big })
    const out: BenchResult[] = []
    for (const step of steps) {
      try {
        await measure(step, ctx.quick ? 1_000 : 10_000, out, ctx.say)
      } catch (err) {
        // The figures this step got are in `out` already; the rest are skipped with the reason.
        ctx.say(`  failed at ${step.keys} keys: ${(err as Error).message}`)
        const got = new Set(out.map(r => r.name))
        out.push(...skipped(namesOf(step.label).filter(n => !got.has(n)), `failed: ${(err as Error).message.split('\n')[0] ?? ''}`))
      }
    }
    return out
  }
}

function namesOf (label: string): string[] {
  return [`startup-${label}-s`, `steady-${label}-rss-mib`, `steady-${label}-hwm-mib`, `steady-${label}-heap-mib`, `catchup-${label}-s`, `catchup-${label}-events-per-s`, `catchup-${label}-apply-events-per-s`, `catchup-${label}-rss-mib`, `publish-1kib-at-${label}-per-s`]
}

function labelOf (keys: number): string {
  return keys % 1_000_000 === 0 ? `${keys / 1_000_000}m` : keys % 1000 === 0 ? `${keys / 1000}k` : String(keys)
}

/** Pushes each figure to `out` as soon as it is measured, so a later failure keeps it. */
async function measure (step: Step, publishes: number, out: BenchResult[], say: (l: string) => void): Promise<void> {
  const { label, keys } = step
  const isMillion = label === '1m'
  const dir = await mkdtemp(join(tmpdir(), 'mycel-million-'))
  const a = new Node(dir)
  try {
    say(`writing a founder's dir of ${keys} keys`)
    const made = await writeManyKeys({ dir, keys, say: l => { say(`  ${l}`) } })
    say(`  written in ${made.seconds.toFixed(0)} s`)
    await writeFile(join(dir, 'config.json'), JSON.stringify({ antiEntropyIntervalMs: 200, logLevel: 'warn' }))

    const spawnedAt = performance.now()
    await a.start([], START_TIMEOUT_MS)
    const readyAt = performance.now()
    await untilAlive([a], `the daemon serves ${keys} keys`, async () => await keysOf(a) >= keys, START_TIMEOUT_MS)
    const startup = (performance.now() - spawnedAt) / 1000
    say(`  started: ready after ${((readyAt - spawnedAt) / 1000).toFixed(2)} s, all keys after ${startup.toFixed(2)} s`)
    out.push(result(`startup-${label}-s`, startup, 's', { target: isMillion ? '<= 10' : undefined, note: `${keys} keys (each its own tiny blob); spawn until GET /v1/status reports them all` }))

    await new Promise(resolve => setTimeout(resolve, STEADY_WAIT_MS))
    const memory = (await a.api<{ stats: { memory: { heapUsed: number, arrayBuffers: number } } }>('GET', '/v1/status')).body.stats.memory
    const steady = await rssMib(a)
    const startPeak = await peakRssMib(a)
    say(`  idle: VmRSS ${steady.toFixed(0)} MiB, VmHWM ${startPeak.toFixed(0)} MiB, heapUsed ${memory.heapUsed} MiB, arrayBuffers ${memory.arrayBuffers} MiB`)
    out.push(
      result(`steady-${label}-rss-mib`, steady, 'MiB', { target: isMillion ? '<= 250' : undefined, note: `VmRSS of the daemon holding ${keys} keys, idle ${STEADY_WAIT_MS / 1000} s after it reported them` }),
      result(`steady-${label}-hwm-mib`, startPeak, 'MiB', { note: 'its VmHWM then: the start\'s peak' }),
      result(`steady-${label}-heap-mib`, memory.heapUsed, 'MiB', { note: `its V8 heapUsed then (arrayBuffers ${memory.arrayBuffers} MiB besides)` })
    )

    const total = await keysOf(a)
    const { node: b, spawnedAt: joinedAt } = await joinNode(a, { replicate: 'on-demand' }, [])
    try {
      await untilAlive([a, b], `the joiner holds ${total} keys`, async () => await keysOf(b) >= total, CATCHUP_TIMEOUT_MS)
      const seconds = (performance.now() - joinedAt) / 1000
      const rss = Math.max(await peakRssMib(a), await peakRssMib(b))
      const applied = await remoteAppliedOf(b)
      const applySeconds = (applied.lastAtMs - applied.firstAtMs) / 1000
      say(`  joiner caught up on ${total} keys in ${seconds.toFixed(2)} s; peak RSS A ${(await peakRssMib(a)).toFixed(0)}, joiner ${(await peakRssMib(b)).toFixed(0)} MiB`)
      out.push(
        result(`catchup-${label}-s`, seconds, 's', { note: `${total} keys; process spawn included` }),
        result(`catchup-${label}-events-per-s`, total / seconds, 'events/s', { target: isMillion ? '>= 25000' : undefined, note: 'keys ÷ catch-up seconds (spawn included)' }),
        result(`catchup-${label}-apply-events-per-s`, applied.count / applySeconds, 'events/s', { note: `${applied.count} events ÷ ${applySeconds.toFixed(2)} s, the joiner's first applied event to its last` }),
        result(`catchup-${label}-rss-mib`, rss, 'MiB', { target: isMillion ? '<= 300' : undefined, note: 'larger VmHWM of the inviter and the joiner' })
      )
    } finally {
      await b.destroy()
    }

    say(`  publishing ${publishes} × 1 KiB on the daemon holding ${keys} keys`)
    const pubSeconds = await publishMany(a, 'p', publishes, PUBLISH_IN_FLIGHT, i => `${i}\n${ONE_KIB}`.slice(0, 1024))
    say(`  ${(publishes / pubSeconds).toFixed(0)} publishes/s`)
    out.push(result(`publish-1kib-at-${label}-per-s`, publishes / pubSeconds, 'publishes/s', { target: isMillion ? '>= publish-1kib-per-s' : undefined, note: `${publishes} × 1 KiB, ${PUBLISH_IN_FLIGHT} in flight, on the daemon holding ${keys} keys (its joiner gone)` }))
  } finally {
    await a.kill()
    // rm(1), not fs.rm: a million keys leave two million blob and manifest files, which fs.rm's
    // recursive removal took ~3 min and 3 GiB of this process's memory to delete.
    await new Promise(resolve => { execFile('rm', ['-rf', dir], resolve) })
  }
}

/** Polls `check` like until(), but fails at once, with its last log lines, when one of `nodes` has exited. */
async function untilAlive (nodes: Node[], what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    for (const n of nodes) {
      const p = n.proc
      if (p === undefined || p.exitCode !== null || p.signalCode !== null) {
        throw new Error(`a daemon exited (${p?.signalCode ?? `code ${String(p?.exitCode)}`}) while waiting for ${what}: ${lastLines(n.log)}`)
      }
    }
    if (await check().catch(() => false)) return
    await new Promise(resolve => setTimeout(resolve, POLL_MS))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

function lastLines (log: string): string {
  return log.trim().split('\n').slice(-6).join(' / ').slice(-1500)
}
