// Length-prefixed frames: round trips however chunked, caps on the prefix, malformed prefixes.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { FrameDecoder, encodeFrame, encodeVarint } from '../../../daemon/net/frame.js'

function splitAt (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map(c => c % (bytes.byteLength + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const p of points) { out.push(bytes.subarray(from, p)); from = p }
  out.push(bytes.subarray(from))
  return out
}

describe('frames', () => {
  it('round-trips any payloads however the stream chunks them', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (payloads, cuts) => {
        const wire = Uint8Array.from(payloads.flatMap(p => [...encodeFrame(p)]))
        const decoder = new FrameDecoder(1024)
        const got: Uint8Array[] = []
        for (const chunk of splitAt(wire, cuts)) {
          decoder.push(chunk)
          for (let f = decoder.next(); f !== undefined; f = decoder.next()) got.push(f)
        }
        expect(got.map(g => [...g])).toEqual(payloads.map(p => [...p]))
        expect(decoder.bufferedBytes).toBe(0)
      }))
  })

  it('refuses an oversized frame on its length prefix alone, before any payload arrives', () => {
    const decoder = new FrameDecoder(4096)
    decoder.push(encodeVarint(4097))
    expect(() => decoder.next()).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
    // Even an incomplete prefix already past the cap is refused.
    const early = new FrameDecoder(100)
    early.push(Uint8Array.from([0xff, 0xff]))
    expect(() => early.next()).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
  })

  it('accepts a frame of exactly the cap and waits for the rest of it', () => {
    const decoder = new FrameDecoder(4096)
    const frame = encodeFrame(new Uint8Array(4096).fill(1))
    decoder.push(frame.subarray(0, 100))
    expect(decoder.next()).toBeUndefined()
    decoder.push(frame.subarray(100))
    expect(decoder.next()?.byteLength).toBe(4096)
  })

  it('rejects malformed prefixes', () => {
    const longPrefix = new FrameDecoder(2 ** 40)
    longPrefix.push(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))
    expect(() => longPrefix.next()).toThrow(expect.objectContaining({ code: 'DECODE_FAILED' }))
    const nonMinimal = new FrameDecoder(100)
    nonMinimal.push(Uint8Array.from([0x81, 0x00]))
    expect(() => nonMinimal.next()).toThrow(expect.objectContaining({ code: 'DECODE_FAILED' }))
  })

  it('encodes varints as LEB128', () => {
    expect([...encodeVarint(0)]).toEqual([0])
    expect([...encodeVarint(127)]).toEqual([127])
    expect([...encodeVarint(128)]).toEqual([0x80, 0x01])
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02])
    expect([...encodeVarint(0xffffffff)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f])
    expect(() => encodeVarint(-1)).toThrow(RangeError)
  })
})
