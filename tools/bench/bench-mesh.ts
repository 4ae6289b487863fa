// Throughput of the mesh between two nodes in one process over loopback TCP (not part of the suite).
//   npm run build && node dist/tools/bench/bench-mesh.js
// Prints session setup time, then messages/s and MB/s for small (32-byte digest, core codec) and 16 KiB (test codec) messages,
// sending in bursts sized to the queue so drops stay at zero.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SyncMessage } from '../../protocol/messages.js'
import { coreCodec, type MessageCodec } from '../../daemon/net/codec.js'
import { loadOrCreateIdentity } from '../../daemon/net/identity.js'
import { createMesh, type Mesh } from '../../daemon/net/mesh.js'
import { testCodec } from '../../test/helpers/meshes.js'

async function pair (codec: MessageCodec, onMessage: () => void): Promise<{ a: Mesh, b: Mesh, dirs: string[] }> {
  const dirs = [await mkdtemp(join(tmpdir(), 'mycel-bench-')), await mkdtemp(join(tmpdir(), 'mycel-bench-'))]
  const up: Array<Promise<void>> = []
  const make = async (dir: string): Promise<Mesh> => {
    let resolveUp!: () => void
    up.push(new Promise(resolve => { resolveUp = resolve }))
    const mesh = await createMesh({ privateKey: await loadOrCreateIdentity(dir), federation: 'bench', listen: ['/ip4/127.0.0.1/tcp/0'], dir, codec },
      { receive: onMessage, peerUp: () => resolveUp(), peerDown: () => {} })
    await mesh.start()
    return mesh
  }
  const a = await make(dirs[0] as string)
  const b = await make(dirs[1] as string)
  a.addPeer(b.peerId, b.listenAddrs())
  await Promise.all(up)
  return { a, b, dirs }
}

async function run (label: string, codec: MessageCodec, message: SyncMessage, count: number, bytes: number): Promise<void> {
  let received = 0
  let done!: () => void
  const finished = new Promise<void>(resolve => { done = resolve })
  const { a, b, dirs } = await pair(codec, () => { if (++received === count) done() })
  const start = performance.now()
  for (let sent = 0; sent < count;) {
    // Keep the sender's queue under its bound: wait for it to drain below half before the next burst.
    while (a.stats().sendQueued > 128) await new Promise(resolve => setImmediate(resolve))
    for (let i = 0; i < 64 && sent < count; i++, sent++) a.send(b.peerId, message)
  }
  await finished
  const seconds = (performance.now() - start) / 1000
  const drops = a.stats().dropsQueueFull
  console.log(`${label}: ${count} msgs in ${seconds.toFixed(2)} s = ${(count / seconds).toFixed(0)} msg/s, ${(count * bytes / seconds / 1e6).toFixed(1)} MB/s, drops ${drops}`)
  await a.stop()
  await b.stop()
  await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true })))
}

async function setupLatency (runs: number): Promise<void> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    const { a, b, dirs } = await pair(testCodec, () => {})
    times.push(performance.now() - start)
    await a.stop()
    await b.stop()
    await Promise.all(dirs.map(async d => await rm(d, { recursive: true, force: true })))
  }
  times.sort((x, y) => x - y)
  console.log(`two fresh nodes, create + start + session up both ways: median ${times[Math.floor(runs / 2)]?.toFixed(0)} ms, max ${times[runs - 1]?.toFixed(0)} ms over ${runs}`)
}

await setupLatency(10)
await run('32-byte digest, core codec', coreCodec, { type: 'digest', digest: new Uint8Array(32).fill(1) }, 200_000, 32)
await run('16 KiB payload, test codec', testCodec, { type: 'digest', digest: new Uint8Array(16 * 1024 - 1).fill(2) }, 20_000, 16 * 1024)
