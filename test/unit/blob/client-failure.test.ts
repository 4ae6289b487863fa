// Regression (found by the chaos run, seed 8): a link cut during a fetch made a
// request's write fail; the reply promise was then rejected with nobody
// awaiting it, and the unhandled rejection ended the daemon process.
import { describe, expect, it } from 'vitest'
import { PeerChannel } from '../../../daemon/blob/client.js'

/** A libp2p stream that is already gone: writes fail, reading ends at once. */
function deadStream (): any {
  return {
    status: 'closed',
    writeStatus: 'closed',
    send: () => false,
    close: async () => {},
    abort: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    async * [Symbol.asyncIterator] () {}
  }
}

describe('PeerChannel on a dead stream', () => {
  it('rejects the caller and leaves no unhandled rejection behind', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    try {
      const channel = new PeerChannel({ peer: 'p', stallTimeoutMs: 60_000 }, deadStream())
      await expect(channel.have([new Uint8Array(32)])).rejects.toMatchObject({ code: 'CLOSED' })
      await expect(channel.manifest(new Uint8Array(32))).rejects.toBeDefined()
      expect(channel.failed).toBe(true)
      // Unhandled rejections are reported after the microtask queue drains.
      for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
      expect(unhandled).toEqual([])
      channel.close()
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})

describe('allocChunkFrame', () => {
  it('owns its whole memory, so filling a small frame cannot overwrite other buffers', async () => {
    const { allocChunkFrame } = await import('../../../daemon/blob/wire.js')
    for (const size of [1, 100, 4000, 1 << 20]) {
      const { frame, data } = allocChunkFrame(1, 2, size)
      expect(frame.byteOffset).toBe(0)
      expect(frame.buffer.byteLength).toBe(frame.byteLength)
      expect(data.buffer).toBe(frame.buffer)
    }
  })
})

/** A stream whose far end serves every get at once: `to - from` chunk frames of `chunkBytes`, then `end`. */
function servingStream (chunkBytes: number, wire: typeof import('../../../daemon/blob/wire.js')): any {
  const queue: Uint8Array[] = []
  let wake: (() => void) | undefined
  return {
    status: 'open',
    writeStatus: 'writable',
    writableNeedsDrain: false,
    writeBufferLength: 0,
    send (frame: Uint8Array): boolean {
      let k = 0
      while (((frame[k] as number) & 0x80) !== 0) k++ // skip the varint length prefix
      const req = wire.decodePayload(frame.subarray(k + 1)) as { op: string, id: number, from: number, to: number }
      for (let i = req.from; i < req.to; i++) queue.push(wire.allocChunkFrame(req.id, i, chunkBytes).frame)
      queue.push(wire.encodeControl({ op: 'end', id: req.id }))
      wake?.()
      return true
    },
    close: async () => {},
    abort: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    async * [Symbol.asyncIterator] () {
      for (;;) {
        while (queue.length > 0) yield queue.shift() as Uint8Array
        await new Promise<void>(resolve => { wake = resolve })
      }
    }
  }
}

describe('PeerChannel chunk processing', () => {
  it('channels of one download share CHUNKS_PROCESSING_MAX: more holders do not mean more chunks waiting for the disk', async () => {
    const wire = await import('../../../daemon/blob/wire.js')
    const { CHUNKS_PROCESSING_MAX } = await import('../../../daemon/blob/constants.js')
    const processing = new Set<Promise<void>>()
    const channels = [0, 1, 2].map(k => new PeerChannel({ peer: `h${k}`, stallTimeoutMs: 60_000, processing }, servingStream(1024, wire)))
    const held: Array<() => void> = []
    let running = 0
    let maxRunning = 0
    const onChunk = async (): Promise<void> => {
      maxRunning = Math.max(maxRunning, ++running)
      await new Promise<void>(resolve => held.push(resolve))
      running--
    }
    const gets = channels.map(async (ch, k) => { await ch.get(new Uint8Array(32), k * 8, k * 8 + 8, onChunk) })
    let settled = false
    const all = Promise.all(gets).then(() => { settled = true })
    // Release one chunk at a time until all 24 are done; never more than the bound may wait at once.
    for (let released = 0; !settled && released < 100; released++) {
      for (let i = 0; i < 5 && held.length === 0; i++) await new Promise(resolve => setImmediate(resolve))
      expect(running).toBeLessThanOrEqual(CHUNKS_PROCESSING_MAX)
      held.shift()?.()
      await new Promise(resolve => setImmediate(resolve))
    }
    await all
    expect(maxRunning).toBe(CHUNKS_PROCESSING_MAX)
    for (const ch of channels) ch.close()
  })
})
