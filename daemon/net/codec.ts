// How SyncMessages become frame payloads. The mesh takes the codec as a parameter so its tests can
// run with a trivial one; the daemon uses the core's codec (protocol/codec.ts).

import * as cbor from '@ipld/dag-cbor'
import type { SyncMessage } from '../../protocol/messages.js'

export interface MessageCodec {
  encode: (message: SyncMessage) => Uint8Array
  /** Throws (MycelError DECODE_FAILED / UNSUPPORTED_VERSION / TOO_LARGE) on bad bytes. */
  decode: (bytes: Uint8Array) => SyncMessage
}

/** TEMPORARY stand-in until protocol/codec.ts lands on main: plain dag-cbor of the message object. */
export const defaultCodec: MessageCodec = {
  encode: (message) => cbor.encode(message),
  decode: (bytes) => cbor.decode(bytes) as SyncMessage
}
