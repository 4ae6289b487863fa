// A stored chunk checked against its manifest hash before it leaves this node (issue #17: a blob file
// corrupted on disk was served as correct, to members and to `mycel cat`). Hashing runs on libuv's
// thread pool (WebCrypto), not on the event loop, so a server checking every chunk it sends keeps
// its main thread for the transport.

import { webcrypto } from 'node:crypto'
import { MycelError } from '../../protocol/errors.js'
import { digestText } from './store.js'

/** True iff sha-256(data) equals `expected`. */
export async function chunkIntact (data: Uint8Array, expected: Uint8Array): Promise<boolean> {
  const hash = new Uint8Array(await webcrypto.subtle.digest('SHA-256', data))
  if (hash.byteLength !== expected.byteLength) return false
  for (let i = 0; i < hash.byteLength; i++) if (hash[i] !== expected[i]) return false
  return true
}

/** A chunk of a stored blob that does not match its manifest: the copy here has rotted. */
export function damagedChunk (digest: Uint8Array, chunk: number): MycelError {
  return new MycelError('UNAVAILABLE', `the copy of ${digestText(digest)} here is damaged: chunk ${chunk} does not match its manifest`, {
    details: { digest: digestText(digest), chunk, damaged: true }
  })
}

export function isDamaged (err: unknown): err is MycelError {
  return err instanceof MycelError && err.details?.damaged === true
}
