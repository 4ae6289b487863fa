// How SyncMessages become frame payloads. The mesh takes the codec as a parameter so its tests can
// run with a trivial one; the daemon uses the core's canonical codec (protocol/codec.ts).

import { decodeMessage, encodeMessage } from '../../protocol/codec.js'
import type { SyncMessage } from '../../protocol/messages.js'

export interface MessageCodec {
  /** Throws MycelError TOO_LARGE for a message over the core's cap. */
  encode: (message: SyncMessage) => Uint8Array
  /** Throws (MycelError DECODE_FAILED / UNSUPPORTED_VERSION / TOO_LARGE) on bad bytes. */
  decode: (bytes: Uint8Array) => SyncMessage
}

export const coreCodec: MessageCodec = {
  encode: encodeMessage,
  decode: decodeMessage
}
