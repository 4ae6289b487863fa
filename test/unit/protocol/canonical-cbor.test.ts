// The canonical CBOR encoder, utf8Length and the canonical-form check.
import * as cbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCanonical, isCanonical, type CborValue } from '../../../protocol/canonical-cbor.js'
import { utf8Length } from '../../../protocol/bytes.js'

const int = fc.oneof(
  fc.integer({ min: -30, max: 300 }),
  fc.maxSafeInteger(),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.constantFrom(23, 24, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, -24, -25, -256, -257)
)
const big = fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n })
const { value } = fc.letrec<{ value: CborValue }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small' },
    int,
    big,
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }).filter(k => k !== '__proto__'), tie('value'), { maxKeys: 6 })
  )
}))

describe('canonical CBOR encoder', () => {
  it('property: gives exactly the bytes @ipld/dag-cbor gives', () => {
    fc.assert(fc.property(value, v => {
      expect(Buffer.from(encodeCanonical(v)).toString('hex')).toBe(Buffer.from(cbor.encode(v)).toString('hex'))
    }), { numRuns: 2000 })
  })

  it('refuses what events never hold', () => {
    expect(() => encodeCanonical(1.5)).toThrow(TypeError)
    expect(() => encodeCanonical(1n << 64n)).toThrow(TypeError)
    expect(() => encodeCanonical((() => {}) as unknown as CborValue)).toThrow(TypeError)
  })
})

describe('utf8Length', () => {
  it('property: equals the length TextEncoder gives, lone surrogates included', () => {
    const enc = new TextEncoder()
    fc.assert(fc.property(fc.string({ unit: fc.oneof(fc.constant('\ud800'), fc.constant('\udc00'), fc.constant('é'), fc.constant('😀'), fc.constant('a'), fc.constant('€')), maxLength: 20 }), s => {
      expect(utf8Length(s)).toBe(enc.encode(s).length)
    }), { numRuns: 2000 })
  })
})

describe('isCanonical', () => {
  it('property: accepts the canonical bytes of a value and refuses any other bytes', () => {
    fc.assert(fc.property(value, fc.uint8Array({ minLength: 1, maxLength: 8 }), (v, noise) => {
      const bytes = cbor.encode(v)
      expect(isCanonical(v, bytes)).toBe(true)
      const longer = new Uint8Array([...bytes, ...noise])
      expect(isCanonical(v, longer)).toBe(false)
      if (bytes.length > 0) {
        const flipped = bytes.slice()
        flipped[bytes.length - 1] ^= noise[0] === 0 ? 1 : noise[0]
        expect(isCanonical(v, flipped)).toBe(false)
      }
    }), { numRuns: 1000 })
  })
})
