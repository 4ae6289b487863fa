// The event and message codecs: round trips and strict decoding.
import * as cbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signAck } from '../../../protocol/acks.js'
import { decodeEvent, decodeMessage, encodeMessage, signEvent } from '../../../protocol/codec.js'
import { isMycelError, MycelError } from '../../../protocol/errors.js'
import type { EventBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { MAX_EVENT_BYTES, MAX_KEY_BYTES, MAX_MESSAGE_BYTES } from '../../../protocol/limits.js'
import type { SyncMessage } from '../../../protocol/messages.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

const digest = new Uint8Array(32).fill(7)
const put = (key: string, props: Record<string, string> = {}): EventBody => ({ kind: 'put', key, digest, size: 42, props })
const make = (body: EventBody, seq = 1) => signEvent({ v: 1, author: 'alice', seq, stamp: makeStamp(1_700_000_000_000, 3), body }, fakeSigner('alice'))

function expectCode (fn: () => unknown, code: string): void {
  try { fn() } catch (err) {
    expect(isMycelError(err)).toBe(true)
    expect((err as MycelError).code).toBe(code)
    return
  }
  throw new Error('expected a MycelError')
}

describe('event codec', () => {
  it('round-trips an event to identical bytes and id', () => {
    const e = make(put('releases/app-1.0.tar.gz', { version: '1.0' }))
    const d = decodeEvent(e.bytes)
    expect(d.bytes).toEqual(e.bytes)
    expect(Buffer.from(d.id).toString('hex')).toBe(Buffer.from(e.id).toString('hex'))
    expect(d.stamp).toBe(e.stamp)
    expect(d.body).toEqual(e.body)
  })

  it('gives the same bytes for the same event however it was built (canonical)', () => {
    const a = make(put('k', { b: '2', a: '1' }))
    const b = make(put('k', { a: '1', b: '2' }))
    expect(a.bytes).toEqual(b.bytes)
  })

  it('refuses unknown versions, unknown kinds, wrong types, extra fields and non-canonical bytes', () => {
    const e = make(put('k'))
    const obj = cbor.decode(e.signed) as Record<string, unknown>
    const wrap = (o: unknown): Uint8Array => cbor.encode({ s: cbor.encode(o), g: e.sig })
    expect(decodeEvent(wrap(obj)).bytes).toEqual(e.bytes)
    expectCode(() => decodeEvent(wrap({ ...obj, v: 2 })), 'UNSUPPORTED_VERSION')
    expectCode(() => decodeEvent(wrap({ ...obj, body: { kind: 'chmod', key: 'k' } })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(wrap({ ...obj, seq: 'one' })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(wrap({ ...obj, seq: 0 })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(wrap({ ...obj, extra: 1 })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(wrap({ ...obj, body: { ...(obj.body as object), digest: new Uint8Array(31) } })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(wrap({ ...obj, stamp: -1 })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(wrap({ ...obj, body: { kind: 'delete', key: 'a\nb' } })), 'DECODE_FAILED')
    expectCode(() => decodeEvent(cbor.encode({ s: e.signed, g: e.sig, x: 1 })), 'DECODE_FAILED')
    // A non-minimal integer encoding of seq (0x18 0x01 for 1) is valid CBOR but not canonical.
    const hex = Buffer.from(e.signed).toString('hex').replace('63736571' + '01', '63736571' + '1801')
    expect(hex).not.toBe(Buffer.from(e.signed).toString('hex'))
    expectCode(() => decodeEvent(cbor.encode({ s: Buffer.from(hex, 'hex'), g: e.sig })), 'DECODE_FAILED')
    // The same for the envelope: a byte string length in a longer form than needed.
    const env = Buffer.from(e.bytes).toString('hex')
    const sigHeader = '6167' + '5820' // "g" then bytes(32)
    expect(env).toContain(sigHeader)
    expectCode(() => decodeEvent(Buffer.from(env.replace(sigHeader, '6167' + '590020'), 'hex')), 'DECODE_FAILED')
  })

  it('a decoded event owns its bytes, even when it came in a Node Buffer (whose slice() is a view)', () => {
    const e = make(put('k'), 2)
    const wire = Buffer.from(e.bytes)
    const decoded = decodeEvent(wire)
    wire.fill(0) // the transport reuses its receive buffer
    expect(decoded.bytes).toEqual(e.bytes)
    expect(decoded.sig).toEqual(e.sig)
    expect(decoded.body).toEqual(e.body)
  })

  it('refuses oversized fields and events', () => {
    expectCode(() => make(put('k'.repeat(MAX_KEY_BYTES + 1))), 'TOO_LARGE')
    expectCode(() => decodeEvent(new Uint8Array(MAX_EVENT_BYTES + 1)), 'TOO_LARGE')
    const big: Record<string, string> = {}
    for (let i = 0; i < 20; i++) big[`p${i}`] = 'x'.repeat(1000)
    expectCode(() => make(put('k', big)), 'TOO_LARGE')
  })

  it('property: random bytes and mutated events only ever raise MycelErrors', () => {
    const valid = make(put('some/key', { a: 'b' })).bytes
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 256 }),
        fc.tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const c = valid.slice(); c[i] = b; return c }),
        fc.integer({ min: 0, max: valid.length }).map(n => valid.slice(0, n))
      ),
      bytes => {
        for (const decode of [decodeEvent, decodeMessage]) {
          try { decode(bytes) } catch (err) { if (!isMycelError(err)) throw err }
        }
      }
    ), { numRuns: 2000 })
  })
})

describe('message codec', () => {
  it('round-trips every message type', () => {
    const e = make(put('k'))
    const msgs = [
      { type: 'digest' as const, digest },
      { type: 'vv' as const, vv: [['alice', 3], ['bob', 0]] as Array<[string, number]>, reply: true },
      { type: 'events' as const, events: [e], through: [['alice', 0, 1]] as Array<[string, number, number]>, more: false },
      { type: 'push' as const, events: [e], ttl: 2 },
      { type: 'acks' as const, acks: [signAck({ member: 'alice', seq: 1, stamp: 7n, vv: [['alice', 1]] }, fakeSigner('alice'))], reply: true },
      { type: 'fps' as const, fps: [['alice', new Uint8Array(32).fill(3)]] as Array<[string, Uint8Array]> },
      { type: 'ids' as const, ids: [['alice', 4, new Uint8Array(8).fill(1)]] as Array<[string, number, Uint8Array]> }
    ] as SyncMessage[]
    for (const m of msgs) {
      const back = decodeMessage(encodeMessage(m))
      expect(encodeMessage(back)).toEqual(encodeMessage(m))
      expect(back.type).toBe(m.type)
    }
  })

  it('refuses a message over the frame cap before decoding it', () => {
    expectCode(() => decodeMessage(new Uint8Array(MAX_MESSAGE_BYTES + 1)), 'TOO_LARGE')
  })

  it('refuses a through entry that goes backwards and an unknown type', () => {
    expectCode(() => decodeMessage(cbor.encode({ v: 1, t: 'events', e: [], th: [['a', 5, 2]], m: false })), 'DECODE_FAILED')
    expectCode(() => decodeMessage(cbor.encode({ v: 1, t: 'gossip' })), 'DECODE_FAILED')
    expectCode(() => decodeMessage(cbor.encode({ v: 9, t: 'digest', d: digest })), 'UNSUPPORTED_VERSION')
  })
})
