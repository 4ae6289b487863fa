// A deterministic stand-in for Ed25519 in unit tests: the "signature" is
// sha-256(author ‖ bytes). It catches an event whose claimed author or content
// changed after signing, which is all these tests need; the daemon uses real keys.
import { sha256 } from '@noble/hashes/sha2.js'
import type { KeyMaker, Signer, Verifier } from '../../protocol/ports.js'
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

const hex = (b: Uint8Array): string => [...b].map(x => x.toString(16).padStart(2, '0')).join('')

/**
 * One-time keys for invite tokens in unit tests: the secret is 16 random-ish
 * bytes, the id names its hash, and signatures are fakeSigner's under that id.
 * (Knowing the id would let a test forge a claim; no test here does.)
 */
export function fakeKeys (seed = 1): KeyMaker {
  let n = seed
  const idOf = (secret: Uint8Array): string => {
    if (secret.length !== 16) throw new Error('a fake secret is 16 bytes')
    return 'key-' + hex(sha256(secret)).slice(0, 16)
  }
  return {
    generate: () => {
      const secret = sha256(new TextEncoder().encode(`fake key ${n++}`)).slice(0, 16)
      return { id: idOf(secret), secret }
    },
    idOf,
    signer: secret => fakeSigner(idOf(secret))
  }
}
