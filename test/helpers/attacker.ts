// The floods of issue #17, built by a member that misbehaves (a Rogue admitted with a token): a push
// of events with bad signatures, events stamped far ahead, and a writer that keeps the stream's write
// side full. Shared by the abuse tests (test/integration/abuse/) and the measuring tool (tools/abuse/).

import type { Stream } from '@libp2p/interface'
import { encodeFrame } from '../../daemon/net/frame.js'
import { sendFrame } from '../../daemon/net/stream-io.js'
import { encodeMessage, signEvent } from '../../protocol/codec.js'
import type { Event, EventBody } from '../../protocol/event.js'
import { makeStamp } from '../../protocol/hlc.js'
import { MAX_MESSAGE_BYTES } from '../../protocol/limits.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { ed25519Signer } from '../../daemon/signing.js'
import type { Rogue } from './rogue.js'

export const YEAR_MS = 365 * 24 * 3600_000

/** A put whose props pad the event to about `bytes` (at most ~16 KiB: the core's event cap). */
export function paddedPut (key: string, bytes: number): EventBody {
  const props: Record<string, string> = {}
  let left = bytes - 200
  for (let i = 0; left > 0 && i < 64; i++) {
    const n = Math.min(1000, left)
    props[`p${String(i).padStart(2, '0')}`] = 'x'.repeat(n)
    left -= n + 8
  }
  return { kind: 'put', key, digest: new Uint8Array(32).fill(7), size: 1, props }
}

/**
 * `count` events claiming `author` as theirs, with signatures that verify for nobody (64 zero bytes):
 * what a forger pushes. Cheap to make: nothing is signed.
 */
export function badlySigned (author: string, count: number, firstSeq = 1): Event[] {
  const zero = { sign: () => new Uint8Array(64) }
  const now = Date.now()
  return Array.from({ length: count }, (_, i) => signEvent({ v: 1, author, seq: firstSeq + i, stamp: makeStamp(now, 0), body: { kind: 'put', key: `forged/${firstSeq + i}`, digest: new Uint8Array(32).fill(3), size: 1, props: {} } }, zero))
}

/** `count` events of the rogue's own, properly signed, stamped `aheadMs` in the future, each about `bytes`. */
export function futureStamped (rogue: Rogue, count: number, aheadMs: number, bytes: number, firstSeq = 1): Event[] {
  const signer = ed25519Signer(rogue.key)
  const at = Date.now() + aheadMs
  return Array.from({ length: count }, (_, i) => signEvent({ v: 1, author: rogue.peerId, seq: firstSeq + i, stamp: makeStamp(at, i % 60_000), body: paddedPut(`future/${firstSeq + i}`, bytes) }, signer))
}

/** Events in push messages of at most `maxBytes` each (the frame cap by default). */
export function pushes (events: Event[], maxBytes = MAX_MESSAGE_BYTES - 64 * 1024): SyncMessage[] {
  const out: SyncMessage[] = []
  let batch: Event[] = []
  let bytes = 0
  for (const e of events) {
    if (batch.length > 0 && bytes + e.bytes.length + 16 > maxBytes) {
      out.push({ type: 'push', events: batch, ttl: 0 })
      batch = []
      bytes = 0
    }
    batch.push(e)
    bytes += e.bytes.length + 16
  }
  if (batch.length > 0) out.push({ type: 'push', events: batch, ttl: 0 })
  return out
}

/** Writes messages as fast as the stream takes them (stream-io's drain wait). False once the stream is gone. */
export async function sendAll (stream: Stream, messages: SyncMessage[]): Promise<boolean> {
  return await sendAllOrWhy(stream, messages) === undefined
}

/** As sendAll, but says why the stream stopped taking frames (undefined: every message went). */
export async function sendAllOrWhy (stream: Stream, messages: SyncMessage[]): Promise<string | undefined> {
  let sent = 0
  try {
    for (const m of messages) {
      await sendFrame(stream, encodeFrame(encodeMessage(m)), { highWaterBytes: 1024 * 1024, timeoutMs: 60_000 })
      sent++
    }
    return undefined
  } catch (err) {
    return `after ${sent} of ${messages.length} messages, stream ${stream.status}: ${(err as Error).message}`
  }
}
