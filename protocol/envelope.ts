// The event envelope {g: signature, s: signed bytes}, read by hand. Its
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

/** Canonical bytes of an envelope (what parseEnvelope accepts). */
export function buildEnvelope (signed: Uint8Array, sig: Uint8Array): Uint8Array {
  const sigHead = headOf(sig.length)
  const signedHead = headOf(signed.length)
  const out = new Uint8Array(1 + 2 + sigHead.length + sig.length + 2 + signedHead.length + signed.length)
  let p = 0
  out[p++] = MAP_OF_2
  out.set(KEY_G, p); p += 2
  out.set(sigHead, p); p += sigHead.length
  out.set(sig, p); p += sig.length
  out.set(KEY_S, p); p += 2
  out.set(signedHead, p); p += signedHead.length
  out.set(signed, p)
  return out
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

function headOf (n: number): Uint8Array {
  const m = MAJOR_BYTES << 5
  if (n < 24) return Uint8Array.of(m | n)
  if (n < 0x100) return Uint8Array.of(m | 24, n)
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff)
  return Uint8Array.of(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

function notCanonical (why: string): MycelError {
  return MycelError.decode(`event envelope is not canonically encoded: it ${why}`)
}
