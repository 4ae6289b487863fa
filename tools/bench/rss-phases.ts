// Where a daemon's peak RSS comes from during a publish and a fetch: A (founder) and F (on-demand);
// publish SIZE MiB at A with the CLI, then F fetches it into its store; the RSS of both sampled
// every 20 ms and printed per phase with the daemons' own memory breakdown (status stats.memory).
//   node dist/tools/bench/rss-phases.js [MiB]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli, Node } from '../../test/helpers/daemons.js'
import { peakRssMiB, randomFile, timeFetch } from './bench-blob.js'
import { readFileSync } from 'node:fs'

const MiB = 1024 * 1024
const size = Number(process.argv[2] ?? 256) * MiB
const rssNow = (pid: number): number => {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024 } catch { return NaN }
}

const work = await mkdtemp(join(tmpdir(), 'mycel-rss-'))
const a = await Node.create()
const f = await Node.create({ replicate: 'on-demand' })
try {
  await a.start(['--log-level', 'warn'])
  await f.start(['--join', await a.invite(), '--log-level', 'warn'])
  const pids = { a: a.proc?.pid as number, f: f.proc?.pid as number }
  let peak = { a: 0, f: 0 }
  const timer = setInterval(() => { peak = { a: Math.max(peak.a, rssNow(pids.a)), f: Math.max(peak.f, rssNow(pids.f)) } }, 20)
  const phase = async (name: string, run: () => Promise<unknown>): Promise<void> => {
    peak = { a: 0, f: 0 }
    const t0 = performance.now()
    await run()
    const mem = async (n: Node): Promise<string> => JSON.stringify((await n.api<{ stats: { memory: unknown } }>('GET', '/v1/status')).body.stats.memory)
    console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(2)} s; peak RSS in phase A ${peak.a.toFixed(0)} F ${peak.f.toFixed(0)} MiB; HWM A ${peakRssMiB(pids.a)} F ${peakRssMiB(pids.f)}`)
    console.log(`   A ${await mem(a)}\n   F ${await mem(f)}`)
  }
  await phase('idle', async () => { await new Promise(resolve => setTimeout(resolve, 1000)) })
  await randomFile(join(work, 'blob'), size)
  await phase('publish at A', async () => { const r = await cli(['publish', join(work, 'blob'), 'rss/blob', '--dir', a.dir, '--json']); if (r.code !== 0) throw new Error(r.stderr) })
  await phase('fetch at F', async () => await timeFetch(f, 'rss/blob'))
  clearInterval(timer)
  process.exitCode = 0
} catch (err) {
  console.log(String(err), '\nA:', a.log.slice(-3000), '\nF:', f.log.slice(-3000))
} finally {
  await Promise.all([a.destroy(), f.destroy()])
  await rm(work, { recursive: true, force: true })
}
process.exit()
