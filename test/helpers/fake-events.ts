// Test helper: events with a JSON stand-in for the canonical encoding, so the
// store can be tested apart from protocol/codec.ts.
import type { Event, EventBody } from '../../protocol/event.js'

export function fakeEvent (author: string, seq: number, stamp: bigint, body: EventBody): Event {
  const plain = { v: 1, author, seq, stamp: stamp.toString(), body: { ...body, digest: 'digest' in body ? Buffer.from(body.digest).toString('hex') : undefined } }
  const bytes = new TextEncoder().encode(JSON.stringify(plain))
  return { v: 1, author, seq, stamp, body, sig: new Uint8Array(64), signed: bytes, bytes, id: new Uint8Array(32) }
}

export function decodeFake (bytes: Uint8Array): Event {
  const p = JSON.parse(new TextDecoder().decode(bytes)) as { author: string, seq: number, stamp: string, body: Record<string, unknown> }
  const body = (p.body.kind === 'put'
    ? { ...p.body, digest: new Uint8Array(Buffer.from(p.body.digest as string, 'hex')) }
    : { kind: 'delete', key: p.body.key }) as EventBody
  return fakeEvent(p.author, p.seq, BigInt(p.stamp), body)
}

export function put (author: string, seq: number, stamp: bigint, key: string): Event {
  return fakeEvent(author, seq, stamp, { kind: 'put', key, digest: new Uint8Array(32).fill(seq), size: seq, props: {} })
}
