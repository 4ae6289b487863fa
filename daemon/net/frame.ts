// Length-prefixed frames: an unsigned LEB128 varint byte count, then that many payload bytes.
// FrameDecoder checks each length against the cap as soon as the prefix is complete, before it keeps
// any payload, so a peer announcing a huge frame costs us at most the bytes of one transport chunk.

import { MycelError } from '../../protocol/errors.js'

/** A u32 needs at most 5 varint bytes; anything longer is malformed, not merely large. */
const MAX_VARINT_BYTES = 5

export function encodeFrame (payload: Uint8Array): Uint8Array {
  const header = encodeVarint(payload.byteLength)
  const frame = new Uint8Array(header.byteLength + payload.byteLength)
  frame.set(header, 0)
  frame.set(payload, header.byteLength)
  return frame
}

export function encodeVarint (value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`varint out of range: ${value}`)
  }
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80)
    rest = Math.floor(rest / 128)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/**
 * Incremental frame parser for one stream. push() appends transport chunks in order; next() returns the
 * next complete payload or undefined. next() throws MycelError TOO_LARGE or DECODE_FAILED on a bad
 * prefix, after which the decoder must be discarded with its stream. The cap may be changed between
 * frames (a handshake frame is held to a smaller cap than the frames after it).
 */
export class FrameDecoder {
  maxFrameBytes: number
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** Payload length of the frame being assembled, once its prefix is complete. */
  private expected: number | undefined
  private headerBytes = 0

  constructor (maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes held for a partial frame (at most one header plus maxFrameBytes plus one chunk). */
  get bufferedBytes (): number {
    return this.buffered
  }

  push (chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    this.chunks.push(chunk)
    this.buffered += chunk.byteLength
  }

  next (): Uint8Array | undefined {
    if (this.expected === undefined && !this.readHeader()) return undefined
    const total = this.headerBytes + (this.expected as number)
    if (this.buffered < total) return undefined
    const bytes = this.take(total)
    const payload = bytes.subarray(this.headerBytes)
    this.expected = undefined
    this.headerBytes = 0
    return payload
  }
  /** Parse the varint prefix if enough bytes are here; check the cap before any payload is kept. */
  private readHeader (): boolean {
    let value = 0
    let shift = 1
    let index = 0
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        index++
        value += (byte & 0x7f) * shift
        if ((byte & 0x80) === 0) {
          if (index > 1 && byte === 0) throw MycelError.decode('non-minimal frame length prefix')
          if (value > this.maxFrameBytes) throw MycelError.tooLarge('frame', value, this.maxFrameBytes)
          this.expected = value
          this.headerBytes = index
          return true
        }
        if (index >= MAX_VARINT_BYTES) throw MycelError.decode('frame length prefix longer than 5 bytes')
        shift *= 128
        // A prefix already promising more than the cap is rejected without waiting for its last byte.
        if (value > this.maxFrameBytes) throw MycelError.tooLarge('frame', value, this.maxFrameBytes)
      }
    }
    return false
  }

  /** Remove and return the first n buffered bytes as one contiguous array. */
  private take (n: number): Uint8Array {
    const first = this.chunks[0]
    if (first !== undefined && first.byteLength >= n) {
      const out = first.subarray(0, n)
      if (first.byteLength === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
      this.buffered -= n
      return out
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const chunk = this.chunks[0] as Uint8Array
      const want = n - filled
      if (chunk.byteLength <= want) {
        out.set(chunk, filled)
        filled += chunk.byteLength
        this.chunks.shift()
      } else {
        out.set(chunk.subarray(0, want), filled)
        this.chunks[0] = chunk.subarray(want)
        filled += want
      }
    }
    this.buffered -= n
    return out
  }
}
