// One side of the plain-libp2p-stream baseline of bench-blob.ts: the same
// stack as the daemon (daemon/net/libp2p-node.ts: TCP + Noise + yamux, same
// limits), one stream, 1 MiB send()s with backpressure, nothing else.
//   node dist/tools/bench/bench-stream-peer.js recv [OUT]        prints {"addr": ...}, then {"bytes","rssMiB"} per stream
//   node dist/tools/bench/bench-stream-peer.js send ADDR N [IN]  sends N bytes, prints {"ms","rssMiB"}
// With IN and OUT it is the file-to-file baseline: the sender reads IN (1 MiB reads into fresh
// buffers, as the blob server does), the receiver appends to OUT and fsyncs it before its ack.
import { readFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
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
        const out = addr === undefined ? undefined : await open(addr, 'w')
        // File to file: what arrives is gathered into 1 MiB writes, up to 8 in flight at once.
        let parts: Uint8Array[] = []
        let partBytes = 0
        const writing = new Set<Promise<unknown>>()
        const flush = async (): Promise<void> => {
          if (out === undefined || partBytes === 0) return
          const block = Buffer.concat(parts, partBytes)
          const w: Promise<unknown> = out.write(block, 0, block.byteLength, bytes - partBytes).finally(() => writing.delete(w))
          writing.add(w)
          parts = []
          partBytes = 0
          if (writing.size >= 8) await Promise.race(writing)
        }
        for await (const chunk of stream) {
          bytes += chunk.byteLength
          if (out === undefined) continue
          for (const piece of (chunk instanceof Uint8Array ? [chunk] : chunk)) parts.push(piece)
          partBytes += chunk.byteLength
          if (partBytes >= FRAME) await flush()
        }
        await flush()
        await Promise.all(writing)
        await out?.sync()
        await out?.close()
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
  const input = process.argv[5] === undefined ? undefined : await open(process.argv[5], 'r')
  const t0 = performance.now()
  for (let sent = 0; sent < total; sent += FRAME) {
    const n = Math.min(FRAME, total - sent)
    if (input === undefined) {
      stream.send(buf.subarray(0, n))
    } else {
      const fresh = Buffer.allocUnsafeSlow(n)
      for (let off = 0; off < n;) off += (await input.read(fresh, off, n - off, sent + off)).bytesRead || n
      stream.send(fresh)
    }
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
