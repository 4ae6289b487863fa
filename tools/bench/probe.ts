// One daemon on an existing data dir (many-keys.ts writes one), through the bench harness (so it is
// stopped with this process, never orphaned), for a look inside it:
//   mem   idle 5 s after it serves KEYS keys: heap, buffers, VmRSS, VmHWM, and its CPU seconds
//   heap  the same, then a heap snapshot into OUT (read it with heap-histogram.js)
//   cpu   a CPU profile of its start, until it serves KEYS keys (and IDLE_MS more), into OUT
//         (read it with profile-top.js)
//
//   node dist/tools/bench/probe.js DIR KEYS mem|heap|cpu [OUT]
// Extra node flags for the daemon: MYCEL_BENCH_NODE_ARGS. The dir is used as is: the daemon writes its
// site and address events into it, as any start does.

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { keysOf, Node, until } from './procs.js'

const IDLE_MS = 5_000
const START_TIMEOUT_MS = 10 * 60_000
/** Time for V8 to write a snapshot of a few GiB of heap before the daemon is stopped. */
const SNAPSHOT_WAIT_MS = 120_000

async function procStatus (pid: number): Promise<{ rssMib: number, hwmMib: number, cpuS: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1])
  // utime and stime, in clock ticks (100 a second on Linux), after the command name's closing ')'.
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? []
  return { rssMib: kib('VmRSS') / 1024, hwmMib: kib('VmHWM') / 1024, cpuS: (Number(stat[11]) + Number(stat[12])) / 100 }
}

const [dir, keys, mode, out = '/tmp'] = process.argv.slice(2)
if (dir === undefined || !['mem', 'heap', 'cpu'].includes(mode ?? '')) {
  process.stderr.write('usage: node dist/tools/bench/probe.js DIR KEYS mem|heap|cpu [OUT]\n')
  process.exit(2)
}
await writeFile(join(dir, 'config.json'), JSON.stringify({ antiEntropyIntervalMs: 200, logLevel: 'warn' }))
const node = new Node(dir)
// The mode's flags, after any the caller gives in MYCEL_BENCH_NODE_ARGS (e.g. a V8 flag to try).
const flags = `${process.env.MYCEL_BENCH_NODE_ARGS ?? ''} ${mode === 'heap' ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${out}` : mode === 'cpu' ? `--cpu-prof --cpu-prof-dir=${out}` : ''}`.trim()
const t = performance.now()
try {
  await node.start([], START_TIMEOUT_MS, { MYCEL_BENCH_NODE_ARGS: flags })
  const readyS = (performance.now() - t) / 1000
  await until(`the daemon serves ${keys} keys`, async () => await keysOf(node) >= Number(keys), START_TIMEOUT_MS, 20)
  process.stdout.write(`ready after ${readyS.toFixed(2)} s, ${keys} keys after ${((performance.now() - t) / 1000).toFixed(2)} s\n`)
  const pid = node.proc?.pid as number
  if (mode !== 'cpu') {
    const atKeys = await procStatus(pid)
    await new Promise(resolve => setTimeout(resolve, IDLE_MS))
    const m = (await node.api<{ stats: { memory: { heapUsed: number, arrayBuffers: number } } }>('GET', '/v1/status')).body.stats.memory
    const s = await procStatus(pid)
    process.stdout.write(`idle ${IDLE_MS / 1000} s: heapUsed ${m.heapUsed} MiB, arrayBuffers ${m.arrayBuffers} MiB, VmRSS ${s.rssMib.toFixed(0)} MiB, VmHWM ${s.hwmMib.toFixed(0)} MiB; CPU ${atKeys.cpuS.toFixed(1)} s until all keys, ${(s.cpuS - atKeys.cpuS).toFixed(1)} s idle\n`)
  }
  if (mode === 'heap') {
    node.proc?.kill('SIGUSR2')
    process.stdout.write(`snapshot requested into ${out}; waiting ${SNAPSHOT_WAIT_MS / 1000} s for it\n`)
    await new Promise(resolve => setTimeout(resolve, SNAPSHOT_WAIT_MS))
  }
  if (mode === 'cpu' && process.env.IDLE_MS !== undefined) await new Promise(resolve => setTimeout(resolve, Number(process.env.IDLE_MS)))
  await node.stop() // SIGTERM: a CPU profile is written as the process exits
} finally {
  await node.kill()
}
