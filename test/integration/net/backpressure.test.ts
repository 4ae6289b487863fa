// Real meshes on loopback: a slow or stalled receiver bounds the sender's memory (queue caps, drain
// timeout).
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncMessage } from '../../../protocol/messages.js'
import { KiB } from '../../../daemon/net/limits.js'
import { Scratch, isUp, until } from '../../helpers/meshes.js'

// Small bounds so the test fills them in well under a second.
const limits = {
  sendQueueMessages: 32,
  sendQueueBytes: 256 * KiB,
  streamWriteBufferBytes: 64 * KiB,
  receiveQueueMessages: 8,
  receiveQueueBytes: 64 * KiB,
  yamuxMaxWindowBytes: 256 * KiB,
  yamuxMaxReadBufferBytes: 512 * KiB
}

describe('mesh: backpressure', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('a slow receiver bounds the sender\'s memory: the queue caps, drops are counted, nothing else is lost', async () => {
    // B's handler does not return until the test opens the gate: the slowest possible consumer.
    let open!: () => void
    const gate = new Promise<void>(resolve => { open = resolve })
    const b = await scratch.mesh({ limits, receive: async () => await gate })
    const a = await scratch.mesh({ limits })
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))
    await b.rec.waitFor(isUp(a.mesh.peerId))

    const payload = new Uint8Array(16 * KiB - 1).fill(7) // 16 KiB frames with the codec's tag byte
    const message: SyncMessage = { type: 'digest', digest: payload }
    const sent = 2_000 // 32 MiB offered, far beyond every bound above
    let peakQueuedBytes = 0
    let peakReceiveBytes = 0
    let peakWriteBuffered = 0
    let peakReadBuffered = 0
    const heapBefore = process.memoryUsage().heapUsed
    for (let i = 0; i < sent; i++) {
      a.mesh.send(b.mesh.peerId, message)
      if (i % 20 === 19) {
        // Let the writer and the network make progress between bursts.
        await new Promise(resolve => setImmediate(resolve))
        peakQueuedBytes = Math.max(peakQueuedBytes, a.mesh.stats().sendQueuedBytes)
        peakReceiveBytes = Math.max(peakReceiveBytes, b.mesh.stats().receiveQueuedBytes)
        peakWriteBuffered = Math.max(peakWriteBuffered, a.mesh.stats().streamWriteBufferedBytes)
        peakReadBuffered = Math.max(peakReadBuffered, b.mesh.stats().streamReadBufferedBytes)
      }
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    const stats = a.mesh.stats()
    const dropped = stats.dropsQueueFull
    console.log(`backpressure: offered ${sent} x 16 KiB; dropped ${dropped}; peak send queue ${peakQueuedBytes} B; ` +
      `peak receive inbox ${peakReceiveBytes} B; receiver pauses ${b.mesh.stats().receivePauses}; heap growth ${(heapGrowth / 1024 / 1024).toFixed(1)} MiB; ` +
      `peak stream write buffer ${peakWriteBuffered} B, read buffer ${peakReadBuffered} B; delivered before gate ${b.rec.count(e => e.kind === 'message')}`)

    expect(dropped).toBeGreaterThan(0)
    expect(peakQueuedBytes).toBeLessThanOrEqual(limits.sendQueueBytes)
    // The inbox passes its mark by at most the chunk that crossed it (at most one yamux window).
    expect(peakReceiveBytes).toBeLessThanOrEqual(limits.receiveQueueBytes + limits.yamuxMaxWindowBytes)
    expect(b.mesh.stats().receivePauses).toBeGreaterThan(0)
    // Below our queue, libp2p's own buffers are bounded too: the stream's write buffer by our
    // high-water mark plus one frame, the paused reader's buffer by one yamux window.
    expect(peakWriteBuffered).toBeLessThanOrEqual(limits.streamWriteBufferBytes + 16 * KiB)
    expect(peakReadBuffered).toBeLessThanOrEqual(limits.yamuxMaxWindowBytes)

    // Open the gate: every message not dropped at the sender arrives; no stream was reset on the way.
    open()
    const delivered = (): number => b.rec.count(e => e.kind === 'message')
    await until(() => delivered() === sent - dropped, 10_000, 'all queued messages to arrive')
    expect(a.mesh.stats().streamsAborted + b.mesh.stats().streamsAborted).toBe(0)
    expect(a.mesh.connectedPeers()).toEqual([b.mesh.peerId])
  })
})

describe('mesh: a stalled receiver', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('aborts the stalled stream after drainTimeoutMs, alone, and the session is redone', async () => {
    const stalled = { ...limits, drainTimeoutMs: 400 }
    let stall = true
    const b = await scratch.mesh({ limits: stalled, receive: async () => { if (stall) await new Promise(() => {}) } })
    const a = await scratch.mesh({ limits: stalled })
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))

    const message: SyncMessage = { type: 'digest', digest: new Uint8Array(16 * KiB - 1) }
    // More than B's inbox, read buffer and window hold, in bursts so A's queue keeps feeding the stream.
    for (let i = 0; i < 100; i++) {
      a.mesh.send(b.mesh.peerId, message)
      if (i % 10 === 9) await new Promise(resolve => setImmediate(resolve))
    }
    await a.rec.waitFor(e => e.kind === 'down' && e.peer === b.mesh.peerId)
    expect(a.mesh.stats().drainTimeouts).toBe(1)
    expect(a.mesh.stats().streamsAborted).toBe(1)

    // The receiver recovers; the redone session carries messages again.
    stall = false
    await a.rec.waitFor(isUp(b.mesh.peerId), 10_000, 2)
    a.mesh.send(b.mesh.peerId, { type: 'digest', digest: Uint8Array.from([42]) })
    await b.rec.waitFor(e => e.kind === 'message' && e.message.type === 'digest' && e.message.digest[0] === 42)
  })
})
