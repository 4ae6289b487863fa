// Length-prefixed frames, the framing of all three protocols (sync, blob, join): an unsigned LEB128
// varint byte count, then that many payload bytes. One prefix reader (LengthPrefix) serves both ways
// of reading: FrameDecoder, pushed transport chunks by a stream's 'message' events (sync sessions),
// and readFrames, pulling a stream with for-await into buffers of the caller's (blob, join). Each
// checks a length against the cap as soon as its prefix byte arrives, before any payload is kept,
// so a peer announcing a huge frame costs us at most the bytes of one transport chunk.

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
 * A frame's length prefix, read one byte at a time. feed() returns the payload length once the
 * prefix's last byte is in (and is ready for the next prefix), else undefined. It throws TOO_LARGE as
 * soon as the value passes the cap (even before the prefix is complete) and DECODE_FAILED for a prefix
 * longer than 5 bytes or not minimal; after a throw the stream is to be discarded.
 */
export class LengthPrefix {
  maxFrameBytes: number
  private value = 0
  private shift = 1
  private bytes = 0

  constructor (maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes of the prefix read so far (0 between frames). */
  get pending (): number {
    return this.bytes
  }

  feed (byte: number): number | undefined {
    this.bytes++
    this.value += (byte & 0x7f) * this.shift
    if (this.value > this.maxFrameBytes) throw MycelError.tooLarge('frame', this.value, this.maxFrameBytes)
    if ((byte & 0x80) !== 0) {
      if (this.bytes >= MAX_VARINT_BYTES) throw MycelError.decode('frame length prefix longer than 5 bytes')
      this.shift *= 128
      return undefined
    }
    if (this.bytes > 1 && byte === 0) throw MycelError.decode('non-minimal frame length prefix')
    const length = this.value
    this.reset()
    return length
  }

  reset (): void {
    this.value = 0
    this.shift = 1
    this.bytes = 0
  }
}

/**
 * Incremental frame parser for one stream. push() appends transport chunks in order; next() returns the
 * next complete payload or undefined. next() throws MycelError TOO_LARGE or DECODE_FAILED on a bad
 * prefix, after which the decoder must be discarded with its stream. The cap may be changed between
 * frames (a handshake frame is held to a smaller cap than the frames after it).
 */
export class FrameDecoder {
  private readonly prefix: LengthPrefix
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** Payload length of the frame being assembled, once its prefix is complete. */
  private expected: number | undefined
  private headerBytes = 0

  constructor (maxFrameBytes: number) {
    this.prefix = new LengthPrefix(maxFrameBytes)
  }

  get maxFrameBytes (): number { return this.prefix.maxFrameBytes }
  set maxFrameBytes (bytes: number) { this.prefix.maxFrameBytes = bytes }

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

  /** Parse the varint prefix if enough bytes are here (re-read from the start: it stays buffered until its frame is whole). */
  private readHeader (): boolean {
    this.prefix.reset()
    let index = 0
    for (const chunk of this.chunks) {
      for (const byte of chunk) {
        index++
        const length = this.prefix.feed(byte)
        if (length === undefined) continue
        this.expected = length
        this.headerBytes = index
        return true
      }
    }
    this.prefix.reset()
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

/** Allocates the buffer a frame's payload is assembled in; must be exactly `bytes` long and owned by the reader. */
export type FrameAlloc = (bytes: number) => Uint8Array

/** A fresh buffer of its own (never a slice of Node's shared pool, so it can be transferred to a worker). */
export const allocOwned: FrameAlloc = bytes => Buffer.allocUnsafeSlow(bytes)

/**
 * The frames of a stream, each payload checked against the cap before any of it is kept, and each
 * copied once, straight from the transport's pieces, into a buffer of its own (`alloc`): nothing
 * else refers to a payload, so a chunk's buffer can be handed to another thread as it is. Ends when
 * the remote closes; throws DECODE_FAILED if it closes inside a frame.
 */
export async function * readFrames (stream: AsyncIterable<Uint8Array | Iterable<Uint8Array>>, maxFrameBytes: number, alloc: FrameAlloc = allocOwned): AsyncGenerator<Uint8Array> {
  const prefix = new LengthPrefix(maxFrameBytes)
  let payload: Uint8Array | undefined
  let filled = 0
  for await (const chunk of stream) {
    for (const piece of (chunk instanceof Uint8Array ? [chunk] : chunk)) {
      let off = 0
      while (off < piece.byteLength) {
        if (payload === undefined) {
          const length = prefix.feed(piece[off++] as number)
          if (length === undefined) continue
          payload = alloc(length)
          if (payload.byteLength !== length) throw new Error('assertion failed: frame buffer of the wrong size')
          filled = 0
        } else {
          const n = Math.min(payload.byteLength - filled, piece.byteLength - off)
          payload.set(piece.subarray(off, off + n), filled)
          filled += n
          off += n
        }
        if (payload !== undefined && filled === payload.byteLength) {
          const done = payload
          payload = undefined
          yield done
        }
      }
    }
  }
  if (payload !== undefined || prefix.pending > 0) throw MycelError.decode('the stream ended inside a frame')
}
