// The session handshake on /mycel/sync/1.0.0. Each peer opens one outbound stream to the other and
// writes a hello as its first frame; the receiver answers on that same stream with a welcome (ok, or a
// refusal with a reason) and from then on only reads from it. A session is up when both directions
// have been welcomed. Both are small dag-cbor maps, versioned so a later handshake can be refused
// cleanly rather than misread, and decoded with the shared field checks of protocol/fields.ts;
// unknown fields are ignored (a later version may add some).

import * as cbor from '@ipld/dag-cbor'
import { MycelError } from '../../protocol/errors.js'
import { asRecord, bool, decodeCbor } from '../../protocol/fields.js'
import { HELLO_VERSION } from './limits.js'

export interface Hello {
  v: number
  federation: string
}

export type RefusalReason = 'federation' | 'not-member' | 'full' | 'banned' | 'version' | 'duplicate'

export interface Welcome {
  v: number
  ok: boolean
  reason?: RefusalReason
}

export function encodeHello (federation: string): Uint8Array {
  return cbor.encode({ v: HELLO_VERSION, federation })
}

export function decodeHello (bytes: Uint8Array): Hello {
  const value = asRecord(decodeCbor(bytes, 'hello'), 'hello')
  if (typeof value.v !== 'number') throw MycelError.decode('hello without a version')
  if (value.v !== HELLO_VERSION) throw MycelError.version(value.v)
  if (typeof value.federation !== 'string') throw MycelError.decode('hello without a federation')
  return { v: value.v, federation: value.federation }
}

export function encodeWelcome (reason?: RefusalReason): Uint8Array {
  return cbor.encode(reason === undefined ? { v: HELLO_VERSION, ok: true } : { v: HELLO_VERSION, ok: false, reason })
}

export function decodeWelcome (bytes: Uint8Array): Welcome {
  const value = asRecord(decodeCbor(bytes, 'welcome'), 'welcome')
  if (typeof value.v !== 'number') throw MycelError.decode('malformed welcome')
  const ok = bool(value.ok, 'welcome ok')
  if (value.v !== HELLO_VERSION) throw MycelError.version(value.v)
  // Lenient on the reason: a newer peer may refuse for a reason this version does not know.
  const reason = typeof value.reason === 'string' ? value.reason as RefusalReason : undefined
  return reason === undefined ? { v: value.v, ok } : { v: value.v, ok, reason }
}
