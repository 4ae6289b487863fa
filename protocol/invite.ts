// Invite tokens: everything a new node needs to reach and join a federation,
// signed by the admin that issued it. A token carries the public half of a
// one-time key; its text form (`mycel2` + base64url) also carries the secret
// half. Only the public part ever enters the log: a joiner proves it holds the
// token by signing a *claim* — (federation, token nonce, its own peer id) —
// with the one-time key, and its grant carries token and claim. Whoever reads
// a grant learns nothing that admits anyone else: the claim names one peer,
// and the secret never left the token holder (docs/federation.md, threat model).
// Checking a token needs no network: the genesis inside proves the federation
// id, and the signature proves the inviter.

import * as cbor from '@ipld/dag-cbor'
import { base32 } from 'multiformats/bases/base32'
import { base64url } from 'multiformats/bases/base64'
import { equalBytes } from './bytes.js'
import { addrsField, roleField } from './codec.js'
import { MycelError } from './errors.js'
import type { Role } from './event.js'
import { asRecord, bytesField, decodeCbor, int, onlyFields, str } from './fields.js'
import { MAX_AUTHOR_BYTES, MAX_INVITE_BYTES, MAX_SIG_BYTES } from './limits.js'
import type { KeyMaker, Signer, Verifier } from './ports.js'
import { sha256 } from './sha256.js'

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
  v: 2
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
  /** The id of the token's one-time key: claims are signed with its secret half. */
  key: string
}

export interface SignedInvite {
  token: InviteToken
  /** The canonical token bytes the inviter signed. */
  signed: Uint8Array
  sig: Uint8Array
  /** The public envelope {t, g}: what a grant carries in `invite`. Never holds the secret. */
  bytes: Uint8Array
  /** The one-time key's secret half: present only in the holder's copy (text form). */
  secret?: Uint8Array
}

const TEXT_PREFIX = 'mycel2'
const OLD_TEXT_PREFIX = 'mycel1'
/** A one-time key's secret: Ed25519 in libp2p's protobuf form is ~68 bytes; allow other schemes. */
const MAX_SECRET_BYTES = 256

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
    nonce: t.nonce,
    key: t.key
  }
}

/** Signs a token; `secret` is the one-time key's secret half, kept for the text form only. */
export function signInvite (token: InviteToken, signer: Signer, secret?: Uint8Array): SignedInvite {
  const signed = cbor.encode(tokenToWire(token))
  const sig = signer.sign(signed)
  const bytes = cbor.encode({ t: signed, g: sig })
  if (bytes.length > MAX_INVITE_BYTES) throw MycelError.tooLarge('invite token', bytes.length, MAX_INVITE_BYTES)
  return secret === undefined ? { token, signed, sig, bytes } : { token, signed, sig, bytes, secret }
}

/** Strict decoding of the public envelope; a token that decodes is well-formed, not yet trusted (see checkInvite). */
export function decodeInvite (bytes: Uint8Array): SignedInvite {
  if (bytes.length > MAX_INVITE_BYTES) throw MycelError.tooLarge('invite token', bytes.length, MAX_INVITE_BYTES)
  const outer = asRecord(decodeCbor(bytes, 'invite token'), 'invite token')
  onlyFields(outer, ['t', 'g'], 'invite token')
  const signed = bytesField(outer.t, 'token', 1, MAX_INVITE_BYTES)
  const sig = bytesField(outer.g, 'signature', 1, MAX_SIG_BYTES)
  const token = decodeToken(signed)
  if (!equalBytes(cbor.encode({ t: signed, g: sig }), bytes)) throw MycelError.decode('invite token envelope is not canonically encoded')
  return { token, signed, sig, bytes }
}

function decodeToken (signed: Uint8Array): InviteToken {
  const o = asRecord(decodeCbor(signed, 'invite token'), 'invite token')
  if (o.v === 1) throw MycelError.decode('this invite token is from an older mycel (its secret would travel in the log); ask an admin for a new one')
  if (o.v !== 2) throw MycelError.version(o.v)
  onlyFields(o, ['v', 'federation', 'genesis', 'inviter', 'addrs', 'role', 'expiresMs', 'uses', 'nonce', 'key'], 'invite token')
  const g = asRecord(o.genesis, 'genesis')
  onlyFields(g, ['founder', 'nonce'], 'genesis')
  const token: InviteToken = {
    v: 2,
    federation: str(o.federation, 'federation', 64),
    genesis: { founder: str(g.founder, 'founder', MAX_AUTHOR_BYTES), nonce: bytesField(g.nonce, 'genesis nonce', 16, 16) },
    inviter: str(o.inviter, 'inviter', MAX_AUTHOR_BYTES),
    addrs: addrsField(o.addrs),
    role: roleField(o.role),
    expiresMs: int(o.expiresMs, 'expiresMs', 0),
    uses: int(o.uses, 'uses', 1, 1_000_000),
    nonce: bytesField(o.nonce, 'nonce', 16, 16),
    key: str(o.key, 'key', MAX_AUTHOR_BYTES)
  }
  if (!equalBytes(cbor.encode(tokenToWire(token)), signed)) throw MycelError.decode('invite token is not canonically encoded')
  return token
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

/** The bytes a token holder signs with the one-time key to admit `peer` (and nobody else). */
export function claimBytes (token: Pick<InviteToken, 'federation' | 'nonce'>, peer: string): Uint8Array {
  return cbor.encode({ t: 'mycel-claim/1', f: token.federation, n: token.nonce, p: peer })
}

/** The holder's claim for `peer`: proof of possession of the token's secret, bound to that one peer. */
export function makeClaim (inv: SignedInvite, peer: string, keys: KeyMaker): Uint8Array {
  if (inv.secret === undefined) throw MycelError.usage('this token has no secret part: it is a copy from the log, not a token an admin gave out')
  return keys.signer(inv.secret).sign(claimBytes(inv.token, peer))
}

/** Was `claim` made with this token's one-time key, for `peer`? */
export function checkClaim (inv: SignedInvite, peer: string, claim: Uint8Array, verifier: Verifier): boolean {
  try { return verifier.verify(inv.token.key, claimBytes(inv.token, peer), claim) } catch { return false }
}

/** The holder's text form: the public envelope and the secret. */
export function inviteToText (inv: SignedInvite): string {
  if (inv.secret === undefined) throw MycelError.usage('only a token with its secret part has a text form')
  return TEXT_PREFIX + base64url.baseEncode(cbor.encode({ t: inv.signed, g: inv.sig, k: inv.secret }))
}

/** Parses the holder's text form, and checks the secret belongs to the token's key. */
export function inviteFromText (text: string, keys?: KeyMaker): SignedInvite {
  const t = text.trim()
  if (t.startsWith(OLD_TEXT_PREFIX)) throw MycelError.decode('this invite token is from an older mycel (its secret would travel in the log); ask an admin for a new one')
  if (!t.startsWith(TEXT_PREFIX)) throw MycelError.decode(`an invite token starts with ${TEXT_PREFIX}`)
  let raw: Uint8Array
  try {
    raw = base64url.baseDecode(t.slice(TEXT_PREFIX.length))
  } catch (err) {
    throw MycelError.decode('invite token is not valid base64url', err)
  }
  if (raw.length > MAX_INVITE_BYTES + MAX_SECRET_BYTES + 16) throw MycelError.tooLarge('invite token', raw.length, MAX_INVITE_BYTES + MAX_SECRET_BYTES + 16)
  const outer = asRecord(decodeCbor(raw, 'invite token'), 'invite token')
  onlyFields(outer, ['t', 'g', 'k'], 'invite token')
  const signed = bytesField(outer.t, 'token', 1, MAX_INVITE_BYTES)
  const sig = bytesField(outer.g, 'signature', 1, MAX_SIG_BYTES)
  const secret = bytesField(outer.k, 'secret', 1, MAX_SECRET_BYTES)
  if (!equalBytes(cbor.encode({ t: signed, g: sig, k: secret }), raw)) throw MycelError.decode('invite token is not canonically encoded')
  const token = decodeToken(signed)
  if (keys !== undefined) {
    let id: string
    try { id = keys.idOf(secret) } catch (err) { throw MycelError.decode('invite token secret is malformed', err) }
    if (id !== token.key) throw MycelError.decode('invite token secret does not belong to its key (corrupted?)')
  }
  return { token, signed, sig, bytes: cbor.encode({ t: signed, g: sig }), secret }
}

export function hexOf (bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}
