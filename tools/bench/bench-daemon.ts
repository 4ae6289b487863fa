// Measures the daemon through its local API with real processes:
//   publish rate and latency at 1, 8, 32 requests in flight (each one fsynced: blob + LevelDB),
//   one large publish (streamed through sha-256 to disk),
//   catch-up time of a node joining a federation that holds N keys.
// Run: npm run build && node dist/tools/bench/bench-daemon.js [N=5000]
// Not a test (no .test.ts suffix): numbers vary with the disk and the machine.

import { Node, until } from '../../test/helpers/daemons.js'

const N = Number(process.argv[2] ?? 5000)

async function publishMany (node: Node, prefix: string, count: number, inFlight: number): Promise<number[]> {
  const latencies: number[] = []
  let next = 0
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      const i = next++
      const t = performance.now()
      const res = await node.publish(`${prefix}/${i}`, `payload ${i}`)
      if (res.status !== 201) throw new Error(`publish failed: ${JSON.stringify(res.body)}`)
      latencies.push(performance.now() - t)
    }
  }))
  return latencies.sort((x, y) => x - y)
}

const a = await Node.create()
const b = await Node.create()
try {
  await a.start(['--log-level', 'warn'])
  for (const inFlight of [1, 8, 32]) {
    const count = 400
    const t = performance.now()
    const lat = await publishMany(a, `c${inFlight}`, count, inFlight)
    const rate = count / ((performance.now() - t) / 1000)
    console.log(`publish, ${inFlight} in flight: ${rate.toFixed(0)}/s, p50 ${lat[count >> 1].toFixed(1)} ms, p99 ${lat[Math.floor(count * 0.99)].toFixed(1)} ms`)
  }
  const big = 'x'.repeat(128 * 1024 * 1024)
  let t = performance.now()
  await a.publish('big', big)
  console.log(`one 128 MiB publish: ${(128 / ((performance.now() - t) / 1000)).toFixed(0)} MiB/s`)

  t = performance.now()
  await publishMany(a, 'k', N, 32)
  console.log(`${N} publishes (32 in flight): ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const total = N + 3 * 400 + 1
  const token = await a.invite()
  t = performance.now()
  await b.start(['--join', token, '--log-level', 'warn'])
  await until('B caught up', async () => (await b.api<{ keys: number }>('GET', '/v1/status')).body.keys >= total, 120_000, 20)
  console.log(`a new node joined and caught up on ${total} keys in ${((performance.now() - t) / 1000).toFixed(2)} s (process start included)`)
} finally {
  await a.destroy()
  await b.destroy()
}
