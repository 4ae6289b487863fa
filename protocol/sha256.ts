// sha-256 for ids. node:crypto's one-shot hash is ~3x faster than the pure-JS
// one on event-sized inputs (0.8 vs 2.8 µs here), and every received event is
// hashed once. It is a pure function; the core stays free of I/O and ambient
// state. `hash` exists from Node 20.12; older 20.x falls back to createHash.

import * as nodeCrypto from 'node:crypto'

const oneShot = (nodeCrypto as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash

/** The sha-256 of `bytes`, as a plain Uint8Array that owns its memory. */
export function sha256 (bytes: Uint8Array): Uint8Array {
  const digest = oneShot !== undefined ? oneShot('sha256', bytes, 'buffer') : nodeCrypto.createHash('sha256').update(bytes).digest()
  return new Uint8Array(digest)
}
