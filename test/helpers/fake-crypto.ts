// A deterministic stand-in for Ed25519 in unit tests: the "signature" is
// sha-256(author ‖ bytes). It catches an event whose claimed author or content
// changed after signing, which is all these tests need; the daemon uses real keys.
import { sha256 } from '@noble/hashes/sha2.js'
import type { Signer, Verifier } from '../../protocol/ports.js'
import { equalBytes } from '../../protocol/bytes.js'

const enc = new TextEncoder()

function tag (author: string, bytes: Uint8Array): Uint8Array {
  const a = enc.encode(author)
  const buf = new Uint8Array(a.length + 1 + bytes.length)
  buf.set(a, 0)
  buf.set(bytes, a.length + 1)
  return sha256(buf)
}

export function fakeSigner (author: string): Signer {
  return { sign: bytes => tag(author, bytes) }
}

export const fakeVerifier: Verifier = {
  verify: (author, bytes, sig) => equalBytes(tag(author, bytes), sig)
}
