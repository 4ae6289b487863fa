// The key of a fault event (event.ts FaultBody): its nonce is fixed by its
// author and the proof, so the key is the author's alone.

import { sha256 } from './sha256.js'

/**
 * The nonce of the fault event `author` writes for a proof: fixed by the two
 * and the proof, so nobody else can write an event on that key (a member
 * that copied a proof from the log and wrote it under the finder's key, with
 * a later stamp, would supersede the finder's event — and collection would
 * then drop one of two membership events others still count).
 */
export function faultNonce (author: string, a: Uint8Array, b: Uint8Array): string {
  const who = new TextEncoder().encode(author)
  const joined = new Uint8Array(who.length + 1 + a.length + b.length)
  joined.set(who, 0)
  joined.set(a, who.length + 1)
  joined.set(b, who.length + 1 + a.length)
  let hex = ''
  for (const byte of sha256(joined).subarray(0, 16)) hex += byte.toString(16).padStart(2, '0')
  return hex
}
