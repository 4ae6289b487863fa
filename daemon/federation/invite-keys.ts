// The one-time keys of invite tokens (protocol/invite.ts), as Ed25519 key
// pairs whose ids are peer ids: the core's Verifier checks a claim exactly as
// it checks an author's signature. The secret is the 32-byte seed; it lives
// only in the token's text form, never in the log.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { KeyMaker } from '../../protocol/ports.js'
import { MycelError } from '../../protocol/errors.js'

// DER prefix of PKCS#8 for Ed25519 (RFC 8410), followed by the 32-byte seed.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SEED_BYTES = 32

function keyOf (seed: Uint8Array): ReturnType<typeof createPrivateKey> {
  if (seed.length !== SEED_BYTES) throw MycelError.decode(`an invite key's secret is ${SEED_BYTES} bytes`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

function idOf (seed: Uint8Array): string {
  const spki = createPublicKey(keyOf(seed)).export({ format: 'der', type: 'spki' })
  const raw = new Uint8Array(spki.subarray(spki.length - 32))
  return peerIdFromPublicKey(publicKeyFromRaw(raw)).toString()
}

export const ed25519InviteKeys: KeyMaker = {
  generate: () => {
    const { privateKey } = generateKeyPairSync('ed25519')
    const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' })
    const secret = new Uint8Array(pkcs8.subarray(pkcs8.length - SEED_BYTES))
    return { id: idOf(secret), secret }
  },
  idOf,
  signer: seed => {
    const key = keyOf(seed)
    return { sign: bytes => new Uint8Array(sign(null, bytes, key)) }
  }
}
