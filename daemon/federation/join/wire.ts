// The join protocol's two messages, one frame each way on a fresh stream:
//   joiner → member  request {v: 1, invite: <signed invite envelope bytes>}
//   member → joiner  answer  {v: 1, ok: true, founder, nonce} | {v: 1, ok: false, reason, message}
// The joiner's peer id is not in the request: the member takes it from the
// connection, which the Noise handshake proved.

import * as cbor from '@ipld/dag-cbor'
import { asRecord, bytesField, decodeCbor, onlyFields, str } from '../../../protocol/fields.js'
import { MycelError } from '../../../protocol/errors.js'
import type { Genesis } from '../../../protocol/invite.js'
import { MAX_AUTHOR_BYTES, MAX_INVITE_BYTES } from '../../../protocol/limits.js'

export const JOIN_VERSION = 1

/** Why a join is refused. The first four are what a token can prove by itself (protocol/invite.ts). */
export const JOIN_REFUSALS = ['malformed', 'bad-signature', 'wrong-federation', 'expired', 'spent', 'not-admin', 'revoked', 'not-member', 'busy', 'internal'] as const
export type JoinRefusal = typeof JOIN_REFUSALS[number]

export type JoinAnswer = { ok: true, genesis: Genesis } | { ok: false, reason: JoinRefusal, message: string }

export function encodeJoinRequest (invite: Uint8Array): Uint8Array {
  return cbor.encode({ v: JOIN_VERSION, invite })
}

export function decodeJoinRequest (bytes: Uint8Array): Uint8Array {
  const o = asRecord(decodeCbor(bytes, 'join request'), 'join request')
  if (o.v !== JOIN_VERSION) throw MycelError.version(o.v)
  onlyFields(o, ['v', 'invite'], 'join request')
  return bytesField(o.invite, 'invite', 1, MAX_INVITE_BYTES)
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
