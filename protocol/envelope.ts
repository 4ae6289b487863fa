// The event envelope {g: signature, s: signed bytes}, read by hand (codec.ts
// writes it with the canonical encoder). Its
// canonical DAG-CBOR form is fixed — a map of two entries, "g" before "s",
// each a byte string with a minimal length head — so checking the shape while
// reading proves the bytes canonical without a generic decode and re-encode
// (which cost more than the rest of an envelope's handling). The views
// returned point into `bytes`.

import { MycelError } from './errors.js'

const MAP_OF_2 = 0xa2
const KEY_G = [0x61, 0x67]
const KEY_S = [0x61, 0x73]
const MAJOR_BYTES = 2

export interface Envelope { signed: Uint8Array, sig: Uint8Array }

export function parseEnvelope (bytes: Uint8Array): Envelope {
  const r = { pos: 0 }
  if (bytes[0] !== MAP_OF_2) throw notCanonical('must be a map of "g" and "s"')
  r.pos = 1
  expectKey(bytes, r, KEY_G)
  const sig = byteString(bytes, r)
  expectKey(bytes, r, KEY_S)
  const signed = byteString(bytes, r)
  if (r.pos !== bytes.length) throw notCanonical('has trailing bytes')
  return { signed, sig }
}

function expectKey (bytes: Uint8Array, r: { pos: number }, key: number[]): void {
  if (bytes[r.pos] !== key[0] || bytes[r.pos + 1] !== key[1]) throw notCanonical('must be a map of "g" and "s", in that order')
  r.pos += 2
}

function byteString (bytes: Uint8Array, r: { pos: number }): Uint8Array {
  const first = bytes[r.pos]
  if (first === undefined || first >> 5 !== MAJOR_BYTES) throw notCanonical('fields must be byte strings')
  const info = first & 0x1f
  let len: number
  let at = r.pos + 1
  if (info < 24) {
    len = info
  } else if (info === 24) {
    len = bytes[at] ?? -1
    at += 1
    if (len < 24) throw notCanonical('has a length in a longer form than needed')
  } else if (info === 25) {
    len = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)
    at += 2
    if (len < 0x100) throw notCanonical('has a length in a longer form than needed')
  } else if (info === 26) {
    len = (((bytes[at] ?? 0) << 24) >>> 0) + ((bytes[at + 1] ?? 0) << 16) + ((bytes[at + 2] ?? 0) << 8) + (bytes[at + 3] ?? 0)
    at += 4
    if (len < 0x10000) throw notCanonical('has a length in a longer form than needed')
  } else {
    throw notCanonical('has a byte string too long or of indefinite length')
  }
  if (at + len > bytes.length) throw MycelError.decode('event envelope is truncated')
  r.pos = at + len
  return bytes.subarray(at, at + len)
}

function notCanonical (why: string): MycelError {
  return MycelError.decode(`event envelope is not canonically encoded: it ${why}`)
}
