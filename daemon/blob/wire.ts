// The /mycel/blob/1.0.0 wire format. Both directions carry length-prefixed
// frames (daemon/net/frame.ts: varint length, payload; written with
// daemon/net/stream-io.ts sendFrame). A payload's first byte says what it is:
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

import * as dagCbor from '@ipld/dag-cbor'
import { MycelError } from '../../protocol/errors.js'
import { asRecord, decodeCbor } from '../../protocol/fields.js'
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
  const msg = asRecord(decodeCbor(payload.subarray(1), 'blob control frame'), 'blob control frame')
  if (typeof msg.op !== 'string' || !Number.isSafeInteger(msg.id)) throw MycelError.decode('blob control frame has no op or id')
  return msg as unknown as Request | Reply
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
