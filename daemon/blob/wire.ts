// The /mycel/blob/1.0.0 wire format. Both directions carry length-prefixed
// frames (daemon/net/frame.ts: varint length, payload). A payload's first byte
// says what it is:
//   0  control: the rest is a dag-cbor object (Request or Reply below)
//   1  chunk:   u32 request id, u32 chunk index, then the chunk's bytes
// Chunks have their own binary layout so a 1 MiB chunk is read from disk
// straight into its frame and never re-encoded.
//
// A client sends requests on a stream it opened; the server answers them in
// order, one at a time: `have` → one `have` reply; `manifest` → one `manifest`
// reply; `bitmap` → one `bitmap` reply; `get` (chunks from..to-1) → the chunks
// in order, then `end` (or an `error`). Several requests may be in flight on
// one stream; the client bounds them, which is what bounds memory on both sides.
//
// A member still downloading a blob serves the chunks it has verified: its
// `have` reply marks the blob `partial`, `bitmap` says which chunks are there,
// and a `get` for a chunk it lacks is answered `error` NOT_FOUND. A client
// asks `bitmap` only of members that said `partial`, so an older server never
// sees the request.

import type { Stream } from '@libp2p/interface'
import * as dagCbor from '@ipld/dag-cbor'
import { MycelError } from '../../protocol/errors.js'
import { encodeVarint } from '../net/frame.js'

export type Request =
  | { op: 'have', id: number, digests: Uint8Array[] }
  | { op: 'manifest', id: number, digest: Uint8Array }
  /**
   * `ack`: the id of the latest request whose reply the client has read to its end. Everything the
   * server sent for requests up to it has left the server (it was received), so the server may reuse
   * those chunk buffers. Optional: a server that ignores it, or a client that omits it, loses nothing.
   */
  | { op: 'get', id: number, digest: Uint8Array, from: number, to: number, ack?: number }
  | { op: 'bitmap', id: number, digest: Uint8Array }

export type Reply =
  /** `partial[i]`: not complete here, but a download of it is under way with verified chunks (absent: none is). */
  | { op: 'have', id: number, have: boolean[], partial?: boolean[] }
  | { op: 'manifest', id: number, bytes?: Uint8Array }
  /**
   * The chunks held, one bit each, chunk i in byte i >> 3 at bit i & 7; `complete` instead once all are.
   * Neither: none. `coming`: chunks the holder has asked others for and not yet verified (the same
   * layout), so a fetcher need not ask the origin for them too.
   */
  | { op: 'bitmap', id: number, complete?: boolean, bits?: Uint8Array, coming?: Uint8Array }
  | { op: 'end', id: number }
  | { op: 'error', id: number, code: string, message: string }

export interface ChunkFrame { op: 'chunk', id: number, index: number, data: Uint8Array }

const KIND_CONTROL = 0
const KIND_CHUNK = 1
const CHUNK_HEADER_BYTES = 1 + 4 + 4

export function encodeControl (msg: Request | Reply): Uint8Array {
  const body = dagCbor.encode(msg)
  const payloadLength = 1 + body.byteLength
  const prefix = encodeVarint(payloadLength)
  const out = new Uint8Array(prefix.byteLength + payloadLength)
  out.set(prefix, 0)
  out[prefix.byteLength] = KIND_CONTROL
  out.set(body, prefix.byteLength + 1)
  return out
}

/**
 * A whole chunk frame with room for `dataLength` bytes; the caller fills
 * `data` (e.g. straight from a file) and sends `frame`.
 */
export function allocChunkFrame (id: number, index: number, dataLength: number, reuse?: (bytes: number) => Uint8Array | undefined): { frame: Uint8Array, data: Uint8Array } {
  const payloadLength = CHUNK_HEADER_BYTES + dataLength
  const prefix = encodeVarint(payloadLength)
  // allocUnsafeSlow: never a slice of Node's shared pool. (allocUnsafe's `.buffer` at offset 0 was the
  // pool itself for small frames, so a tail chunk overwrote other live Buffers — found by the chaos run.)
  const owned = reuse?.(prefix.byteLength + payloadLength) ?? Buffer.allocUnsafeSlow(prefix.byteLength + payloadLength)
  const frame = new Uint8Array(owned.buffer, owned.byteOffset, owned.byteLength)
  frame.set(prefix, 0)
  const view = new DataView(frame.buffer, frame.byteOffset + prefix.byteLength)
  view.setUint8(0, KIND_CHUNK)
  view.setUint32(1, id)
  view.setUint32(5, index)
  return { frame, data: frame.subarray(prefix.byteLength + CHUNK_HEADER_BYTES) }
}

export function decodePayload (payload: Uint8Array): Request | Reply | ChunkFrame {
  if (payload.byteLength === 0) throw MycelError.decode('empty blob frame')
  if (payload[0] === KIND_CHUNK) {
    if (payload.byteLength < CHUNK_HEADER_BYTES) throw MycelError.decode('short chunk frame')
    const view = new DataView(payload.buffer, payload.byteOffset)
    return { op: 'chunk', id: view.getUint32(1), index: view.getUint32(5), data: payload.subarray(CHUNK_HEADER_BYTES) }
  }
  if (payload[0] !== KIND_CONTROL) throw MycelError.decode(`unknown blob frame kind ${payload[0]}`)
  let msg: unknown
  try {
    msg = dagCbor.decode(payload.subarray(1))
  } catch (err) {
    throw MycelError.decode('blob control frame is not dag-cbor', err)
  }
  if (typeof msg !== 'object' || msg === null || typeof (msg as { op?: unknown }).op !== 'string' || !Number.isSafeInteger((msg as { id?: unknown }).id)) {
    throw MycelError.decode('blob control frame has no op or id')
  }
  return msg as Request | Reply
}

/** Checks a request's fields (a server must not trust their types). */
export function checkRequest (msg: Request | Reply | ChunkFrame, maxDigests: number): Request {
  const isDigest = (d: unknown): boolean => d instanceof Uint8Array && d.byteLength === 32
  const r = msg as Request
  switch (r.op) {
    case 'have':
      if (Array.isArray(r.digests) && r.digests.length <= maxDigests && r.digests.every(isDigest)) return r
      break
    case 'manifest':
    case 'bitmap':
      if (isDigest(r.digest)) return r
      break
    case 'get':
      if (isDigest(r.digest) && Number.isSafeInteger(r.from) && Number.isSafeInteger(r.to) && r.from >= 0 && r.to > r.from && (r.ack === undefined || Number.isSafeInteger(r.ack))) return r
      break
  }
  throw MycelError.decode(`bad blob request ${String((msg as { op?: unknown }).op)}`)
}

/** Allocates the buffer a frame's payload is assembled in; must be exactly `bytes` long and owned by the reader. */
export type FrameAlloc = (bytes: number) => Uint8Array

/** A fresh buffer of its own (never a slice of Node's shared pool, so it can be transferred to a worker). */
export const allocOwned: FrameAlloc = bytes => Buffer.allocUnsafeSlow(bytes)

/** A u32 needs at most 5 varint bytes (the same rule as daemon/net/frame.ts). */
const MAX_VARINT_BYTES = 5

/**
 * The frames of a stream, each payload checked against the cap before any of it is kept, and each
 * copied once, straight from the transport's pieces, into a buffer of its own (`alloc`): nothing
 * else refers to a payload, so a chunk's buffer can be handed to another thread as it is. Ends when
 * the remote closes.
 */
export async function * readFrames (stream: AsyncIterable<Uint8Array | Iterable<Uint8Array>>, maxFrameBytes: number, alloc: FrameAlloc = allocOwned): AsyncGenerator<Uint8Array> {
  let value = 0
  let shift = 1
  let headerBytes = 0
  let payload: Uint8Array | undefined
  let filled = 0
  for await (const chunk of stream) {
    for (const piece of (chunk instanceof Uint8Array ? [chunk] : chunk)) {
      let off = 0
      while (off < piece.byteLength) {
        if (payload === undefined) {
          const byte = piece[off++] as number
          headerBytes++
          value += (byte & 0x7f) * shift
          if (value > maxFrameBytes) throw MycelError.tooLarge('frame', value, maxFrameBytes)
          if ((byte & 0x80) !== 0) {
            if (headerBytes >= MAX_VARINT_BYTES) throw MycelError.decode('frame length prefix longer than 5 bytes')
            shift *= 128
            continue
          }
          if (headerBytes > 1 && byte === 0) throw MycelError.decode('non-minimal frame length prefix')
          const length = value
          value = 0
          shift = 1
          headerBytes = 0
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
  if (payload !== undefined || headerBytes > 0) throw MycelError.decode('blob stream ended inside a frame')
}

/**
 * Sends a frame and waits while the stream's own write buffer is above
 * `highWater`. After a drain the buffer is re-checked: libp2p fires 'drain' on
 * every stream of a connection when the socket drains (see daemon/net/session.ts).
 */
export async function writeFrame (stream: Stream, frame: Uint8Array, highWater: number, signal?: AbortSignal): Promise<void> {
  if (stream.status !== 'open') throw new MycelError('CLOSED', 'blob stream closed')
  stream.send(frame)
  while (stream.writableNeedsDrain || stream.writeBufferLength > highWater) {
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') throw new MycelError('CLOSED', 'blob stream closed while writing')
    signal?.throwIfAborted()
    await new Promise<void>(resolve => {
      const done = (): void => {
        stream.removeEventListener('drain', done)
        stream.removeEventListener('close', done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      stream.addEventListener('drain', done)
      stream.addEventListener('close', done)
      signal?.addEventListener('abort', done)
    })
  }
}

/** One bit per chunk held (`have[i] === 1`), as `bitmap` replies carry them. */
export function packBits (have: Uint8Array): Uint8Array {
  const bits = new Uint8Array(Math.ceil(have.length / 8))
  for (let i = 0; i < have.length; i++) if (have[i] === 1) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7))
  return bits
}

/** The reverse of packBits for `n` chunks: one byte per chunk, 1 if held. DECODE_FAILED if the length is off. */
export function unpackBits (bits: Uint8Array, n: number): Uint8Array {
  if (bits.byteLength !== Math.ceil(n / 8)) throw MycelError.decode(`bitmap of ${bits.byteLength} bytes for ${n} chunks`)
  const have = new Uint8Array(n)
  for (let i = 0; i < n; i++) have[i] = ((bits[i >> 3] as number) >> (i & 7)) & 1
  return have
}
