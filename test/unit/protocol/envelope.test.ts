// The signed event envelope.
import * as cbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeEvent, signEvent } from '../../../protocol/codec.js'
import { isMycelError } from '../../../protocol/errors.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

const event = signEvent({ v: 1, author: 'alice', seq: 1, stamp: makeStamp(1_700_000_000_000, 0), body: { kind: 'put', key: 'k', digest: new Uint8Array(32).fill(1), size: 1, props: {} } }, fakeSigner('alice'))

function codeOf (bytes: Uint8Array): string | undefined {
  try {
    decodeEvent(bytes)
    return undefined
  } catch (err) {
    return isMycelError(err) ? err.code : 'not a MycelError'
  }
}

describe('the event envelope {g, s}', () => {
  it('decodes canonical envelopes for every signature length, header form included (fast path)', () => {
    for (const n of [0, 1, 23, 24, 64, 127, 128]) {
      const sig = new Uint8Array(n).fill(7)
      const bytes = cbor.encode({ s: event.signed, g: sig })
      const e = decodeEvent(bytes)
      const same = (x: Uint8Array, y: Uint8Array): boolean => Buffer.from(x).equals(Buffer.from(y))
      expect(same(e.sig, sig)).toBe(true)
      expect(same(e.signed, event.signed)).toBe(true)
      expect(same(e.bytes, bytes)).toBe(true)
      expect(e.id).toEqual(decodeEvent(Uint8Array.from(bytes)).id)
      expect(e.bytes).not.toBe(bytes) // owns its bytes
    }
  })

  it('rejects what is not the canonical layout exactly as before (the general path decides)', () => {
    const good = cbor.encode({ s: event.signed, g: event.sig })
    expect(codeOf(good)).toBeUndefined()
    // Keys in the wrong order: a2 61 73 … 61 67 …
    const sigPart = cbor.encode(event.sig)
    const signedPart = cbor.encode(event.signed)
    const reversed = Uint8Array.from([0xa2, 0x61, 0x73, ...signedPart, 0x61, 0x67, ...sigPart])
    expect(codeOf(reversed)).toBe('DECODE_FAILED')
    // A non-minimal length header for a 5-byte signature (0x58 0x05 instead of 0x45).
    const longHeader = Uint8Array.from([0xa2, 0x61, 0x67, 0x58, 5, 1, 2, 3, 4, 5, 0x61, 0x73, ...signedPart])
    expect(codeOf(longHeader)).toBe('DECODE_FAILED')
    // A trailing byte, a truncated envelope, a signature over the bound.
    expect(codeOf(Uint8Array.from([...good, 0]))).toBe('DECODE_FAILED')
    expect(codeOf(good.subarray(0, good.length - 1))).toBe('DECODE_FAILED')
    expect(codeOf(cbor.encode({ s: event.signed, g: new Uint8Array(129) }))).toBe('TOO_LARGE')
    // An empty signed part.
    expect(codeOf(cbor.encode({ s: new Uint8Array(0), g: event.sig }))).toBe('DECODE_FAILED')
  })
})
