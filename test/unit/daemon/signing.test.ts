// The daemon's synchronous Ed25519 signer and verifier agree with libp2p's keys.
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { ed25519Signer, ed25519Verifier } from '../../../daemon/signing.js'

describe('Ed25519 signer/verifier over the libp2p identity', () => {
  it('signs synchronously; the author id alone verifies; libp2p agrees', async () => {
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key).toString()
    const bytes = new TextEncoder().encode('event bytes')
    const sig = ed25519Signer(key).sign(bytes)
    expect(sig).toHaveLength(64)
    const verifier = ed25519Verifier()
    expect(verifier.verify(author, bytes, sig)).toBe(true)
    expect(await key.publicKey.verify(bytes, sig)).toBe(true) // same signature scheme as libp2p's own
    expect(verifier.verify(author, new TextEncoder().encode('other'), sig)).toBe(false)
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    expect(verifier.verify(other, bytes, sig)).toBe(false)
    expect(verifier.verify('not-a-peer-id', bytes, sig)).toBe(false)
    expect(verifier.verify(author, bytes, new Uint8Array(3))).toBe(false)
  })
})
