// Signatures for the simulator: cheap, deterministic and unforgeable by
// construction. Each signing identity (a node, or an invite token's one-time
// key) has a secret known only to this oracle; a signature is a keyed 64-bit
// hash of the signed bytes. A node's code is handed its own Signer and the
// shared Verifier, never another's secret — so a Byzantine node can sign only
// as itself, exactly as with Ed25519, at a fraction of the cost (a 1000-node
// run verifies millions of events).
//
// Verifications are remembered per signed bytes: in the simulator an event
// travels as one shared object, so each is hashed once, not once per node. They
// are remembered by the buffer the bytes lie in and where (an event hands out a
// fresh view of its signed part each time it is asked: protocol/compact-event.ts).

import type { KeyMaker, Signer, Verifier } from '../../protocol/ports.js'
import type { Prng } from '../prng.js'

const SIG_BYTES = 8
/** Signed byte strings remembered per buffer: an event's envelope holds one; a message buffer a few. */
const MAX_HITS_PER_BUFFER = 8

export class SimCrypto {
  private readonly secrets = new Map<string, number>()
  private readonly keyIds = new Map<number, string>()
  private readonly verified = new WeakMap<ArrayBufferLike, Array<{ offset: number, length: number, author: string, sig: Uint8Array }>>()
  private keyCount = 0

  constructor (private readonly random: Prng) {}

  /** The signer of identity `id` (registered on first use with a fresh secret). */
  signerFor (id: string): Signer {
    const secret = this.secretOf(id)
    return { sign: bytes => tag(secret, bytes) }
  }

  readonly verifier: Verifier = {
    verify: (author, bytes, sig) => {
      const hits = this.verified.get(bytes.buffer)
      if (hits !== undefined) {
        for (const hit of hits) {
          if (hit.offset === bytes.byteOffset && hit.length === bytes.byteLength && hit.author === author && sameBytes(hit.sig, sig)) return true
        }
      }
      const secret = this.secrets.get(author)
      if (secret === undefined || !sameBytes(tag(secret, bytes), sig)) return false
      const hit = { offset: bytes.byteOffset, length: bytes.byteLength, author, sig }
      if (hits === undefined) this.verified.set(bytes.buffer, [hit])
      else if (hits.length < MAX_HITS_PER_BUFFER) hits.push(hit)
      return true
    }
  }

  /** One-time keys for invite tokens: the secret is 4 bytes naming an oracle secret. */
  readonly keys: KeyMaker = {
    generate: () => {
      const id = `key${++this.keyCount}`
      const secret = this.secretOf(id)
      this.keyIds.set(secret, id)
      return { id, secret: u32Bytes(secret) }
    },
    idOf: secret => {
      const id = secret.length === 4 ? this.keyIds.get(readU32(secret)) : undefined
      if (id === undefined) throw new Error('not a key this simulator made')
      return id
    },
    signer: secret => this.signerFor(this.keys.idOf(secret))
  }

  private secretOf (id: string): number {
    let s = this.secrets.get(id)
    if (s === undefined) {
      s = this.random.u32() | 1
      this.secrets.set(id, s)
    }
    return s
  }
}

/** FNV-1a over the bytes, twice with different seeds mixed with the secret: 8 bytes. */
function tag (secret: number, bytes: Uint8Array): Uint8Array {
  let h1 = (0x811c9dc5 ^ secret) >>> 0
  let h2 = (0x01000193 ^ Math.imul(secret, 0x9e3779b1)) >>> 0
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    h1 = Math.imul(h1 ^ b, 0x01000193)
    h2 = Math.imul(h2 ^ b, 0x5bd1e995)
  }
  const out = new Uint8Array(SIG_BYTES)
  const v = new DataView(out.buffer)
  v.setUint32(0, h1 >>> 0)
  v.setUint32(4, (h2 ^ (h1 >>> 13)) >>> 0)
  return out
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function u32Bytes (n: number): Uint8Array {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n >>> 0)
  return out
}

function readU32 (b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0) | 0
}
