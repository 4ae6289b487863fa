// Where a blob fetch spends its CPU (not a test; the figures in docs/blobs.md "Why the 0.8 ratio is out
// of reach here" and the mark-compact table come from it):
//   npm run build && node dist/tools/bench/blob-cpu.js [MiB=1024]
// Two daemons on 127.0.0.1: A publishes a random blob, F (on-demand) fetches it through its API. Prints
// MB/s, CPU seconds per thread of both daemons during the fetch (from /proc/<pid>/task/*/stat, sampled
// every 50 ms so short-lived threads such as the download worker are counted), the mark-compact and
// scavenge counts of each daemon (it runs them with --trace-gc), and their peak RSS.
// Extra node flags for both daemons: MYCEL_BENCH_NODE_ARGS (e.g. "--heap-growing-percent=0" to see V8's
// own growing factor; the daemon then leaves the factor alone).

import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cli, Node, until } from '../../test/helpers/daemons.js'
import { peakRssMiB, randomFile, timeFetch } from './bench-blob.js'

const MiB = 1024 * 1024
/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on Linux). */
const TICKS_PER_S = 100

type Ticks = Map<number, number>

function threadTicks (pid: number, into: Ticks): void {
  let tids: string[]
  try {
    tids = readdirSync(`/proc/${pid}/task`)
  } catch {
    return // the process has exited
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      into.set(Number(tid), Number(fields[11]) + Number(fields[12]))
    } catch {
      // the thread ended between readdir and read; its last sample stands
    }
  }
}

function report (name: string, pid: number, before: Ticks, after: Ticks): string {
  const rows = [...after].map(([tid, t]) => ({ tid, s: (t - (before.get(tid) ?? 0)) / TICKS_PER_S })).filter(r => r.s >= 0.03)
  const main = rows.find(r => r.tid === pid)?.s ?? 0
  const others = rows.filter(r => r.tid !== pid).sort((x, y) => y.s - x.s)
  const total = rows.reduce((sum, r) => sum + r.s, 0)
  return `${name}: ${total.toFixed(2)} CPU-s = main ${main.toFixed(2)} + ${others.map(r => r.s.toFixed(2)).join(' + ') || '0'} (other threads, largest first)`
}

async function main (): Promise<void> {
  const size = Number(process.argv[2] ?? 1024) * MiB
  const work = await mkdtemp(join(tmpdir(), 'mycel-blob-cpu-'))
  const a = await Node.create()
  const f = await Node.create({ replicate: 'on-demand' })
  const env = { MYCEL_BENCH_NODE_ARGS: `--trace-gc ${process.env.MYCEL_BENCH_NODE_ARGS ?? ''}` }
  try {
    await a.start(['--log-level', 'warn'], 20_000, env)
    await f.start(['--join', await a.invite({ uses: 1 }), '--log-level', 'warn'], 20_000, env)
    await until('F connected to A', async () => (await f.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length >= 1, 30_000)
    const file = join(work, 'blob')
    await randomFile(file, size)
    const published = await cli(['publish', file, 'cpu/blob', '--dir', a.dir, '--json'])
    if (published.code !== 0) throw new Error(`publish failed: ${published.stderr}`)

    const pids = { a: a.proc?.pid as number, f: f.proc?.pid as number }
    const gc = { a: { mc: 0, sc: 0 }, f: { mc: 0, sc: 0 } }
    for (const [k, node] of [['a', a], ['f', f]] as const) {
      node.proc?.stdout?.on('data', (c: Buffer) => {
        const text = c.toString()
        gc[k].mc += text.match(/Mark-Compact/g)?.length ?? 0
        gc[k].sc += text.match(/Scavenge/g)?.length ?? 0
      })
    }
    const before = { a: new Map(), f: new Map() } as { a: Ticks, f: Ticks }
    threadTicks(pids.a, before.a)
    threadTicks(pids.f, before.f)
    const gc0 = structuredClone(gc)
    const after = { a: new Map(before.a), f: new Map(before.f) } as { a: Ticks, f: Ticks }
    const sampler = setInterval(() => { threadTicks(pids.a, after.a); threadTicks(pids.f, after.f) }, 50)
    const ms = await timeFetch(f, 'cpu/blob')
    clearInterval(sampler)
    threadTicks(pids.a, after.a)
    threadTicks(pids.f, after.f)
    const gib = size / (1024 * MiB)
    process.stdout.write([
      `${size / MiB} MiB A → F in ${(ms / 1000).toFixed(2)} s: ${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`,
      report('sender A ', pids.a, before.a, after.a),
      report('fetcher F', pids.f, before.f, after.f),
      `mark-compacts per GiB: A ${((gc.a.mc - gc0.a.mc) / gib).toFixed(0)}, F ${((gc.f.mc - gc0.f.mc) / gib).toFixed(0)}; scavenges per GiB: A ${((gc.a.sc - gc0.a.sc) / gib).toFixed(0)}, F ${((gc.f.sc - gc0.f.sc) / gib).toFixed(0)}`,
      `peak RSS: A ${peakRssMiB(pids.a)} MiB, F ${peakRssMiB(pids.f)} MiB`,
      ''
    ].join('\n'))
  } finally {
    await Promise.all([a.destroy(), f.destroy()])
    await rm(work, { recursive: true, force: true })
  }
}

await main()
