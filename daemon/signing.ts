// The core's Signer and Verifier over the node's libp2p Ed25519 identity.
// @libp2p/crypto 5 types `privateKey.sign()` as `Uint8Array | Promise<…>` and
// the core's Signer is synchronous, so both sides use node:crypto on the raw
// Ed25519 keys instead (same algorithm, same signatures). An author id is a
// peer id whose public key is embedded (Ed25519 peer ids are identity
// multihashes), so verification needs no lookup; keys are cached per author.

import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Signer, Verifier } from '../protocol/ports.js'
import { MycelError } from '../protocol/errors.js'

// DER prefixes of PKCS#8 / SPKI for Ed25519 (RFC 8410), followed by the 32 raw bytes.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** Most authors whose keys are cached; members are few, garbage senders are not. */
const MAX_CACHED_KEYS = 4096

export function ed25519Signer (privateKey: PrivateKey): Signer {
  if (privateKey.type !== 'Ed25519') throw new MycelError('USAGE', `node identity must be Ed25519, not ${privateKey.type}`)
  // libp2p's raw Ed25519 private key is seed (32) ‖ public key (32).
  const seed = privateKey.raw.subarray(0, 32)
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  return { sign: (bytes) => new Uint8Array(sign(null, bytes, key)) }
}

export function ed25519Verifier (): Verifier {
  const cache = new Map<string, KeyObject | null>()
  const keyOf = (author: string): KeyObject | null => {
    const hit = cache.get(author)
    if (hit !== undefined) return hit
    let key: KeyObject | null = null
    try {
      const pub = peerIdFromString(author).publicKey
      if (pub?.type === 'Ed25519') key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub.raw]), format: 'der', type: 'spki' })
    } catch {
      key = null
    }
    if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string)
    cache.set(author, key)
    return key
  }
  return {
    verify: (author, bytes, sig) => {
      const key = keyOf(author)
      if (key === null) return false
      try {
        return verify(null, bytes, key, sig)
      } catch {
        return false
      }
    }
  }
}
