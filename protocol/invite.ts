// Invite tokens: everything a new node needs to reach and join a federation,
// signed by the member that issued it. The text form is copy-pasteable:
// `mycel1` + base64url of the canonical envelope {t: token bytes, g: signature}.
// Checking a token needs no network: the genesis inside proves the federation
// id, and the signature proves the inviter.

import * as cbor from '@ipld/dag-cbor'
import { sha256 } from './sha256.js'
import { base32 } from 'multiformats/bases/base32'
import { base64url } from 'multiformats/bases/base64'
import { addrsField, roleField } from './codec.js'
import { equalBytes } from './bytes.js'
import { asRecord, bytesField, decodeCbor, int, onlyFields, str } from './fields.js'
import { MycelError } from './errors.js'
import type { Role } from './event.js'
import { MAX_AUTHOR_BYTES, MAX_INVITE_BYTES, MAX_SIG_BYTES } from './limits.js'
import type { Signer, Verifier } from './ports.js'

/** What makes a federation: its founder (first admin) and a nonce. */
export interface Genesis {
  founder: string
  nonce: Uint8Array
}

export function federationIdOf (g: Genesis): string {
  const h = sha256(cbor.encode({ founder: g.founder, nonce: g.nonce }))
  return 'fed1' + base32.baseEncode(h.subarray(0, 20))
}

export interface InviteToken {
  v: 1
  federation: string
  genesis: Genesis
  inviter: string
  addrs: string[]
  role: Role
  /** Wall-clock ms after which the token is refused (compared with the grant's HLC stamp). */
  expiresMs: number
  uses: number
  /** Names the token; grants made with it are counted per nonce. */
  nonce: Uint8Array
}

export interface SignedInvite {
  token: InviteToken
  /** The canonical token bytes the inviter signed. */
  signed: Uint8Array
  sig: Uint8Array
  /** The envelope: what a member event carries in `invite`. */
  bytes: Uint8Array
}

const TEXT_PREFIX = 'mycel1'

function tokenToWire (t: InviteToken): Record<string, unknown> {
  return {
    v: t.v,
    federation: t.federation,
    genesis: { founder: t.genesis.founder, nonce: t.genesis.nonce },
    inviter: t.inviter,
    addrs: t.addrs,
    role: t.role,
    expiresMs: t.expiresMs,
    uses: t.uses,
    nonce: t.nonce
  }
}

export function signInvite (token: InviteToken, signer: Signer): SignedInvite {
  const signed = cbor.encode(tokenToWire(token))
  const sig = signer.sign(signed)
  const bytes = cbor.encode({ t: signed, g: sig })
  if (bytes.length > MAX_INVITE_BYTES) throw MycelError.tooLarge('invite token', bytes.length, MAX_INVITE_BYTES)
  return { token, signed, sig, bytes }
}

/** Strict decoding; a token that decodes is well-formed, not yet trusted (see checkInvite). */
export function decodeInvite (bytes: Uint8Array): SignedInvite {
  if (bytes.length > MAX_INVITE_BYTES) throw MycelError.tooLarge('invite token', bytes.length, MAX_INVITE_BYTES)
  const outer = asRecord(decodeCbor(bytes, 'invite token'), 'invite token')
  onlyFields(outer, ['t', 'g'], 'invite token')
  const signed = bytesField(outer.t, 'token', 1, MAX_INVITE_BYTES)
  const sig = bytesField(outer.g, 'signature', 1, MAX_SIG_BYTES)
  const o = asRecord(decodeCbor(signed, 'invite token'), 'invite token')
  if (o.v !== 1) throw MycelError.version(o.v)
  onlyFields(o, ['v', 'federation', 'genesis', 'inviter', 'addrs', 'role', 'expiresMs', 'uses', 'nonce'], 'invite token')
  const g = asRecord(o.genesis, 'genesis')
  onlyFields(g, ['founder', 'nonce'], 'genesis')
  const token: InviteToken = {
    v: 1,
    federation: str(o.federation, 'federation', 64),
    genesis: { founder: str(g.founder, 'founder', MAX_AUTHOR_BYTES), nonce: bytesField(g.nonce, 'genesis nonce', 16, 16) },
    inviter: str(o.inviter, 'inviter', MAX_AUTHOR_BYTES),
    addrs: addrsField(o.addrs),
    role: roleField(o.role),
    expiresMs: int(o.expiresMs, 'expiresMs', 0),
    uses: int(o.uses, 'uses', 1, 1_000_000),
    nonce: bytesField(o.nonce, 'nonce', 16, 16)
  }
  if (!equalBytes(cbor.encode(tokenToWire(token)), signed)) throw MycelError.decode('invite token is not canonically encoded')
  if (!equalBytes(cbor.encode({ t: signed, g: sig }), bytes)) throw MycelError.decode('invite token envelope is not canonically encoded')
  return { token, signed, sig, bytes }
}

export type InviteProblem = 'bad-signature' | 'wrong-federation' | 'expired'

/**
 * Checks what a token can prove by itself: the inviter signed it, its genesis
 * matches its federation id (and `federation`, when given), it is not expired at
 * `nowMs`. Whether the inviter may grant the role, and whether uses remain, is
 * the membership's business (membership.ts).
 */
export function checkInvite (inv: SignedInvite, verifier: Verifier, opts: { federation?: string, nowMs?: number } = {}): InviteProblem | undefined {
  let ok = false
  try { ok = verifier.verify(inv.token.inviter, inv.signed, inv.sig) } catch { ok = false }
  if (!ok) return 'bad-signature'
  if (federationIdOf(inv.token.genesis) !== inv.token.federation) return 'wrong-federation'
  if (opts.federation !== undefined && inv.token.federation !== opts.federation) return 'wrong-federation'
  if (opts.nowMs !== undefined && opts.nowMs > inv.token.expiresMs) return 'expired'
  return undefined
}

export function inviteToText (inv: SignedInvite): string {
  return TEXT_PREFIX + base64url.baseEncode(inv.bytes)
}

export function inviteFromText (text: string): SignedInvite {
  const t = text.trim()
  if (!t.startsWith(TEXT_PREFIX)) throw MycelError.decode(`an invite token starts with ${TEXT_PREFIX}`)
  let bytes: Uint8Array
  try {
    bytes = base64url.baseDecode(t.slice(TEXT_PREFIX.length))
  } catch (err) {
    throw MycelError.decode('invite token is not valid base64url', err)
  }
  return decodeInvite(bytes)
}

export function hexOf (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
