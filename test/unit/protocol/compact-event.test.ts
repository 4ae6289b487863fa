// A decoded event keeps its 32-byte fields as views into its own envelope and shares one empty props
// (compact-event.ts, issue #25): the same values as before, in less memory.
import { describe, expect, it } from 'vitest'
import { decodeEvent, signEvent, signingBytes } from '../../../protocol/codec.js'
import { EMPTY_PROPS, viewOf32 } from '../../../protocol/compact-event.js'
import { parseEnvelope } from '../../../protocol/envelope.js'
import { sha256 } from '../../../protocol/sha256.js'
import type { PutBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

const put = (digest: number, props: Record<string, string> = {}, manifest?: number): PutBody => ({
  kind: 'put', key: 'k', digest: new Uint8Array(32).fill(digest), size: 1, props, ...(manifest === undefined ? {} : { manifest: new Uint8Array(32).fill(manifest) })
})

describe('compact decoded events', () => {
  it('digest, manifest and prev are views into the event\'s own bytes, equal to what was signed', () => {
    const first = signEvent({ v: 1, author: 'alice', seq: 1, stamp: makeStamp(1_700_000_000_000, 0), body: put(1) }, fakeSigner('alice'))
    const e = signEvent({ v: 1, author: 'alice', seq: 2, stamp: makeStamp(1_700_000_000_001, 0), body: put(2, { a: '1' }, 3), prev: first.id }, fakeSigner('alice'))
    const d = decodeEvent(Buffer.from(e.bytes))
    const body = d.body as PutBody
    expect(body.digest).toEqual(new Uint8Array(32).fill(2))
    expect(body.manifest).toEqual(new Uint8Array(32).fill(3))
    expect(d.prev).toEqual(first.id)
    for (const field of [body.digest, body.manifest, d.prev]) expect(field?.buffer).toBe(d.bytes.buffer)
    // A freshly signed event finds its prev in its own envelope too (SealedEvent keeps where, not a view).
    expect(e.prev).toEqual(first.id)
    expect(e.prev?.buffer).toBe(e.bytes.buffer)
    // Not into the input: the event owns its bytes, whatever buffer they came in.
    expect(body.digest.buffer).not.toBe(Buffer.from(e.bytes).buffer)
  })

  it('the id lies in the envelope\'s buffer; the signature and the signed part are read out of the envelope', () => {
    const signer = fakeSigner('carol')
    const signed = signEvent({ v: 1, author: 'carol', seq: 1, stamp: makeStamp(1_700_000_000_000, 0), body: put(4) }, signer)
    const input = Buffer.from(signed.bytes)
    const decoded = decodeEvent(input)
    input.fill(0) // the receive buffer is reused: the event must not notice
    for (const e of [signed, decoded]) {
      expect(e.id).toEqual(sha256(e.bytes))
      expect(e.id.buffer).toBe(e.bytes.buffer)
      const parts = parseEnvelope(e.bytes)
      expect(e.sig).toEqual(parts.sig)
      expect(e.signed).toEqual(parts.signed)
      expect(signingBytes(e)).toEqual(parts.signed)
      expect(e.sig).toEqual(signer.sign(parts.signed))
      expect(Object.isSealed(e)).toBe(true)
      expect(e.prev).toBeUndefined()
    }
    expect(decoded.id).toEqual(signed.id)
  })

  // (That an author's events share one string is not observable from JavaScript, only in the heap:
  // tools/bench/per-key.ts measures it.)
  it('one frozen empty props for every put without any', () => {
    const a = decodeEvent(signEvent({ v: 1, author: 'bob', seq: 1, stamp: makeStamp(1_700_000_000_000, 0), body: put(1) }, fakeSigner('bob')).bytes)
    const b = decodeEvent(signEvent({ v: 1, author: 'b' + 'ob', seq: 2, stamp: makeStamp(1_700_000_000_001, 0), body: put(2) }, fakeSigner('bob')).bytes)
    expect(a.author).toBe('bob')
    expect((a.body as PutBody).props).toBe(EMPTY_PROPS)
    expect((b.body as PutBody).props).toBe(EMPTY_PROPS)
    expect(Object.isFrozen(EMPTY_PROPS)).toBe(true)
  })

  it('viewOf32 finds the bytes only as a 32-byte CBOR byte string, else keeps the copy', () => {
    const bytes = new Uint8Array(32).fill(9)
    const container = new Uint8Array([1, 2, 0x58, 0x20, ...bytes, 5])
    const view = viewOf32(container, bytes.slice())
    expect(view.buffer).toBe(container.buffer)
    expect(view.byteOffset).toBe(4)
    // The same bytes without the header, or other bytes: the copy stays.
    const bare = new Uint8Array([0, 0, ...bytes])
    const copy = bytes.slice()
    expect(viewOf32(bare, copy)).toBe(copy)
    expect(viewOf32(container, new Uint8Array(32).fill(8)).buffer).not.toBe(container.buffer)
  })
})
