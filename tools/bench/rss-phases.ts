// Where a daemon's peak RSS comes from during a publish and a fetch: A (founder), optionally two more
// holders that mirror what A publishes, and F (on-demand). Publish SIZE MiB at A with the CLI, let the
// holders mirror it, then F fetches it into its store; every daemon's RSS is sampled every 20 ms and
// printed per phase with F's own memory breakdown (status stats.memory).
//   node dist/tools/bench/rss-phases.js [MiB=256] [holders=1]
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli, Node, until } from '../../test/helpers/daemons.js'
import { randomFile, timeFetch } from './bench-blob.js'

const MiB = 1024 * 1024
const size = Number(process.argv[2] ?? 256) * MiB
const holderCount = Number(process.argv[3] ?? 1)
const field = (status: string, name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024
const rssNow = (pid: number): number => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const rss = field(status, 'VmRSS')
    if (pid === f.proc?.pid && rss > fAtPeak.rss) fAtPeak = { rss, anon: field(status, 'RssAnon'), file: field(status, 'RssFile'), threads: field(status, 'Threads') * 1024 }
    return rss
  } catch { return NaN }
}
let fAtPeak = { rss: 0, anon: 0, file: 0, threads: 0 }

const work = await mkdtemp(join(tmpdir(), 'mycel-rss-'))
const a = await Node.create()
const mirrors = await Promise.all(Array.from({ length: holderCount - 1 }, async () => await Node.create()))
const f = await Node.create({ replicate: 'on-demand' })
const all = [a, ...mirrors, f]
const names = ['A', ...mirrors.map((_, i) => `h${i + 2}`), 'F']
try {
  await a.start(['--log-level', 'warn'])
  const token = await a.invite({ uses: all.length - 1 })
  await Promise.all([...mirrors, f].map(async n => await n.start(['--join', token, '--log-level', 'warn'])))
  let peak = all.map(() => 0)
  const timer = setInterval(() => { peak = all.map((n, i) => Math.max(peak[i] as number, rssNow(n.proc?.pid as number))) }, 20)
  const phase = async (name: string, run: () => Promise<unknown>): Promise<void> => {
    peak = all.map(() => 0)
    fAtPeak = { rss: 0, anon: 0, file: 0, threads: 0 }
    const t0 = performance.now()
    await run()
    const memory = JSON.stringify((await f.api<{ stats: { memory: unknown } }>('GET', '/v1/status')).body.stats.memory)
    console.log(`${name}: ${((performance.now() - t0) / 1000).toFixed(2)} s; peak RSS ${names.map((n, i) => `${n} ${(peak[i] as number).toFixed(0)}`).join(', ')} MiB; F at its peak: anon ${fAtPeak.anon.toFixed(0)}, file ${fAtPeak.file.toFixed(0)} MiB, ${fAtPeak.threads} threads; F now ${memory}`)
  }
  await phase('idle', async () => { await new Promise(resolve => setTimeout(resolve, 1000)) })
  await randomFile(join(work, 'blob'), size)
  await phase('publish at A', async () => { const r = await cli(['publish', join(work, 'blob'), 'rss/blob', '--dir', a.dir, '--json']); if (r.code !== 0) throw new Error(r.stderr) })
  if (mirrors.length > 0) {
    await phase('mirrored', async () => {
      await until('mirrored', async () => (await Promise.all(mirrors.map(async m => (await m.api<{ local?: string }>('GET', '/v1/blobs/rss%2Fblob')).body.local))).every(l => l === 'complete'), 300_000, 100)
    })
  }
  await phase('fetch at F', async () => await timeFetch(f, 'rss/blob'))
  clearInterval(timer)
} catch (err) {
  console.log(String(err), ...all.map((n, i) => `\n${names[i] as string}: ${n.log.slice(-2000)}`))
  process.exitCode = 1
} finally {
  await Promise.all(all.map(async n => { await n.destroy() }))
  await rm(work, { recursive: true, force: true })
}
process.exit()
