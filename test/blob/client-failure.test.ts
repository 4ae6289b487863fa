// Regression (found by the chaos run, seed 8): a link cut during a fetch made a
// request's write fail; the reply promise was then rejected with nobody
// awaiting it, and the unhandled rejection ended the daemon process.
import { describe, expect, it } from 'vitest'
import { PeerChannel } from '../../daemon/blob/client.js'

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
    const { allocChunkFrame } = await import('../../daemon/blob/wire.js')
    for (const size of [1, 100, 4000, 1 << 20]) {
      const { frame, data } = allocChunkFrame(1, 2, size)
      expect(frame.byteOffset).toBe(0)
      expect(frame.buffer.byteLength).toBe(frame.byteLength)
      expect(data.buffer).toBe(frame.buffer)
    }
  })
})
