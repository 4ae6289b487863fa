// One side of the plain-libp2p-stream baseline of bench-blob.ts: the same
// stack as the daemon (daemon/net/libp2p-node.ts: TCP + Noise + yamux, same
// limits), one stream, 1 MiB send()s with backpressure, nothing else.
//   node dist/test/blob/bench-stream-peer.js recv          prints {"addr": ...}, then {"bytes","rssMiB"} per stream
//   node dist/test/blob/bench-stream-peer.js send ADDR N   sends N bytes, prints {"ms","rssMiB"}
import '../../daemon/polyfill.js'
import { readFileSync } from 'node:fs'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { createNode } from '../../daemon/net/libp2p-node.js'
import { DEFAULT_LIMITS } from '../../daemon/net/limits.js'

const PROTOCOL = '/mycel/bench-stream/1.0.0'
const FRAME = 1024 * 1024
const HIGH_WATER = 2 * 1024 * 1024

export function peakRssMiB (pid: number | 'self' = 'self'): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? 0 : Math.round(Number(m[1]) / 1024)
}

async function main (): Promise<void> {
  const [mode, addr, n] = process.argv.slice(2)
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), listen: mode === 'recv' ? ['/ip4/127.0.0.1/tcp/0'] : [], maxPeers: 4, limits: DEFAULT_LIMITS, isBanned: () => false })
  if (mode === 'recv') {
    await node.handle(PROTOCOL, (stream) => {
      void (async () => {
        let bytes = 0
        for await (const chunk of stream) bytes += chunk.byteLength
        stream.send(new Uint8Array([1]))
        await stream.close()
        process.stdout.write(JSON.stringify({ bytes, rssMiB: peakRssMiB() }) + '\n')
      })()
    })
    await node.start()
    process.stdout.write(JSON.stringify({ addr: node.getMultiaddrs()[0]?.toString() }) + '\n')
    return
  }
  await node.start()
  const total = Number(n)
  const stream = await node.dialProtocol(multiaddr(addr as string), PROTOCOL)
  const buf = new Uint8Array(FRAME).fill(7)
  const t0 = performance.now()
  for (let sent = 0; sent < total; sent += FRAME) {
    stream.send(buf.subarray(0, Math.min(FRAME, total - sent)))
    while (stream.writableNeedsDrain || stream.writeBufferLength > HIGH_WATER) {
      await new Promise<void>(resolve => { const done = (): void => { stream.removeEventListener('drain', done); resolve() }; stream.addEventListener('drain', done) })
    }
  }
  await stream.close()
  for await (const _ of stream) break // the receiver's one-byte ack: everything arrived
  const ms = performance.now() - t0
  process.stdout.write(JSON.stringify({ ms, rssMiB: peakRssMiB() }) + '\n')
  await node.stop()
}

if (process.argv[1]?.endsWith('bench-stream-peer.js') === true) await main()
