// How SyncMessages become frame payloads. The mesh takes the codec as a parameter so its tests can
// run with a trivial one; the daemon uses the core's canonical codec (protocol/codec.ts).
//
// Decoding a 4 MiB push takes a few hundred ms (a copy, a sha-256 and a canonical check per event;
// ~0.5 ms for a 15 KiB event here), too long for one stretch of the event loop. So a codec may also
// decode in steps (decodeSteps): the envelope at once, then events until `due()` says the stretch has
// lasted long enough, the caller giving way to the event loop between steps (inbound-session.ts).

import { decodeEvent, decodeMessage, decodeMessageShell, encodeMessage } from '../../protocol/codec.js'
import type { Event } from '../../protocol/event.js'
import type { SyncMessage } from '../../protocol/messages.js'

export interface MessageCodec {
  /** Throws MycelError TOO_LARGE for a message over the core's cap. */
  encode: (message: SyncMessage) => Uint8Array
  /** Throws (MycelError DECODE_FAILED / UNSUPPORTED_VERSION / TOO_LARGE) on bad bytes. */
  decode: (bytes: Uint8Array) => SyncMessage
  /**
   * Optional: the same decode in steps. The first next() decodes the envelope (and throws like
   * decode on bad bytes); each later one decodes events, at least one, until `due()`. A push comes
   * out in parts as it is decoded, each a push of its own (a push is taken event by event, so its
   * parts are worth the whole, and each part's decoded events can be dropped as soon as it is
   * taken); a step yields such a part, or undefined. The return value is what is left to hand on:
   * the whole message (any other type), the last part of a push, or undefined.
   */
  decodeSteps?: (bytes: Uint8Array, due: () => boolean) => Generator<SyncMessage | undefined, SyncMessage | undefined, void>
}

function * decodeCoreSteps (bytes: Uint8Array, due: () => boolean): Generator<SyncMessage | undefined, SyncMessage | undefined, void> {
  const shell = decodeMessageShell(bytes)
  const raw = shell.events
  if (raw === undefined || raw.length === 0) return shell.message
  yield undefined
  const push = shell.message.type === 'push' ? shell.message : undefined
  let events: Event[] = []
  for (const b of raw) {
    if (due()) {
      if (push !== undefined && events.length > 0) {
        yield { ...push, events }
        events = []
      } else {
        yield undefined
      }
    }
    events.push(decodeEvent(b))
  }
  if (push !== undefined) return events.length > 0 ? { ...push, events } : undefined
  return { ...shell.message, events } as SyncMessage
}

export const coreCodec: MessageCodec = {
  encode: encodeMessage,
  decode: decodeMessage,
  decodeSteps: decodeCoreSteps
}
