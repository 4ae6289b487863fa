// The join protocol's request and answer encodings, strict on decode.
import * as cbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeJoinAnswer, decodeJoinRequest, encodeJoinAnswer, encodeJoinRequest, JOIN_REFUSALS } from '../../../daemon/federation/join/wire.js'
import { JOIN_LIMITS } from '../../../daemon/federation/join/limits.js'
import { encodeFrame } from '../../../daemon/net/frame.js'
import { MAX_INVITE_BYTES, MAX_SIG_BYTES } from '../../../protocol/limits.js'

describe('join protocol messages', () => {
  it('round-trip requests, admissions and every refusal', () => {
    const request = { invite: new Uint8Array([1, 2, 3]), claim: new Uint8Array(64).fill(4) }
    expect(decodeJoinRequest(encodeJoinRequest(request))).toEqual(request)
    const genesis = { founder: 'F', nonce: new Uint8Array(16).fill(5) }
    expect(decodeJoinAnswer(encodeJoinAnswer({ ok: true, genesis }))).toEqual({ ok: true, genesis })
    for (const reason of JOIN_REFUSALS) {
      expect(decodeJoinAnswer(encodeJoinAnswer({ ok: false, reason, message: '' }))).toEqual({ ok: false, reason, message: reason })
    }
  })

  it('a request with the largest token and claim fits the frame cap; a larger token does not decode', () => {
    expect(encodeFrame(encodeJoinRequest({ invite: new Uint8Array(MAX_INVITE_BYTES), claim: new Uint8Array(MAX_SIG_BYTES) })).length).toBeLessThanOrEqual(JOIN_LIMITS.maxRequestBytes)
    expect(() => decodeJoinRequest(encodeJoinRequest({ invite: new Uint8Array(MAX_INVITE_BYTES + 1), claim: new Uint8Array(64) }))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
  })

  it('refuses a version-1 request (its token\'s secret would travel) with a clear message', () => {
    expect(() => decodeJoinRequest(cbor.encode({ v: 1, invite: new Uint8Array(3) }))).toThrow(/older mycel/)
  })
})
