// The join protocol's two messages, one frame each way on a fresh stream:
//   joiner → member  request {v: 2, invite: <the token's public envelope>, claim: <its one-time key's signature>}
//   member → joiner  answer  {v: 2, ok: true, founder, nonce} | {v: 2, ok: false, reason, message}
// The joiner's peer id is not in the request: the member takes it from the
// connection, which the Noise handshake proved, and the claim must name that
// very peer (protocol/invite.ts) — the token's secret never leaves the joiner.

import * as cbor from '@ipld/dag-cbor'
import { asRecord, bytesField, decodeCbor, onlyFields, str } from '../../../protocol/fields.js'
import { MycelError } from '../../../protocol/errors.js'
import type { Genesis } from '../../../protocol/invite.js'
import { MAX_AUTHOR_BYTES, MAX_INVITE_BYTES, MAX_SIG_BYTES } from '../../../protocol/limits.js'

export const JOIN_VERSION = 2

/** Why a join is refused. The first four are what a token can prove by itself (protocol/invite.ts). */
export const JOIN_REFUSALS = ['malformed', 'bad-signature', 'wrong-federation', 'expired', 'spent', 'not-admin', 'revoked', 'not-member', 'busy', 'internal', 'bad-claim', 'name-taken'] as const
export type JoinRefusal = typeof JOIN_REFUSALS[number]

export type JoinAnswer = { ok: true, genesis: Genesis } | { ok: false, reason: JoinRefusal, message: string }

export interface JoinRequest {
  /** The token's public envelope (protocol/invite.ts SignedInvite.bytes). */
  invite: Uint8Array
  /** The token's one-time key signing (federation, nonce, the joiner's peer id). */
  claim: Uint8Array
  /** The site name the joiner will take: a member refuses a name another member holds (name-taken). */
  name?: string
}

export function encodeJoinRequest (r: JoinRequest): Uint8Array {
  return cbor.encode({ v: JOIN_VERSION, invite: r.invite, claim: r.claim, ...(r.name === undefined ? {} : { name: r.name }) })
}

export function decodeJoinRequest (bytes: Uint8Array): JoinRequest {
  const o = asRecord(decodeCbor(bytes, 'join request'), 'join request')
  if (o.v === 1) throw MycelError.decode('this joiner runs an older mycel (its token secret would travel); upgrade it')
  if (o.v !== JOIN_VERSION) throw MycelError.version(o.v)
  onlyFields(o, ['v', 'invite', 'claim', 'name'], 'join request')
  const request: JoinRequest = { invite: bytesField(o.invite, 'invite', 1, MAX_INVITE_BYTES), claim: bytesField(o.claim, 'claim', 1, MAX_SIG_BYTES) }
  if (o.name !== undefined) request.name = str(o.name, 'name', 63)
  return request
}

export function encodeJoinAnswer (a: JoinAnswer): Uint8Array {
  return a.ok
    ? cbor.encode({ v: JOIN_VERSION, ok: true, founder: a.genesis.founder, nonce: a.genesis.nonce })
    : cbor.encode({ v: JOIN_VERSION, ok: false, reason: a.reason, message: (a.message === '' ? a.reason : a.message).slice(0, 512) })
}

export function decodeJoinAnswer (bytes: Uint8Array): JoinAnswer {
  const o = asRecord(decodeCbor(bytes, 'join answer'), 'join answer')
  if (o.v !== JOIN_VERSION) throw MycelError.version(o.v)
  if (o.ok === true) {
    onlyFields(o, ['v', 'ok', 'founder', 'nonce'], 'join answer')
    return { ok: true, genesis: { founder: str(o.founder, 'founder', MAX_AUTHOR_BYTES), nonce: bytesField(o.nonce, 'nonce', 16, 16) } }
  }
  if (o.ok !== false) throw MycelError.decode('join answer without ok')
  onlyFields(o, ['v', 'ok', 'reason', 'message'], 'join answer')
  const reason = str(o.reason, 'reason', 32)
  if (!(JOIN_REFUSALS as readonly string[]).includes(reason)) throw MycelError.decode(`unknown join refusal ${reason}`)
  return { ok: false, reason: reason as JoinRefusal, message: str(o.message, 'message', 1024) }
}
