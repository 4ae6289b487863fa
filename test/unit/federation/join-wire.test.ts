// The join protocol's request and answer encodings, strict on decode.
import { describe, expect, it } from 'vitest'
import { decodeJoinAnswer, decodeJoinRequest, encodeJoinAnswer, encodeJoinRequest, JOIN_REFUSALS } from '../../../daemon/federation/join/wire.js'
import { JOIN_LIMITS } from '../../../daemon/federation/join/limits.js'
import { encodeFrame } from '../../../daemon/net/frame.js'
import { MAX_INVITE_BYTES } from '../../../protocol/limits.js'

describe('join protocol messages', () => {
  it('round-trip requests, admissions and every refusal', () => {
    const invite = new Uint8Array([1, 2, 3])
    expect(decodeJoinRequest(encodeJoinRequest(invite))).toEqual(invite)
    const genesis = { founder: 'F', nonce: new Uint8Array(16).fill(5) }
    expect(decodeJoinAnswer(encodeJoinAnswer({ ok: true, genesis }))).toEqual({ ok: true, genesis })
    for (const reason of JOIN_REFUSALS) {
      expect(decodeJoinAnswer(encodeJoinAnswer({ ok: false, reason, message: '' }))).toEqual({ ok: false, reason, message: reason })
    }
  })

  it('a request with the largest token fits the frame cap; a larger token does not decode', () => {
    expect(encodeFrame(encodeJoinRequest(new Uint8Array(MAX_INVITE_BYTES))).length).toBeLessThanOrEqual(JOIN_LIMITS.maxRequestBytes)
    expect(() => decodeJoinRequest(encodeJoinRequest(new Uint8Array(MAX_INVITE_BYTES + 1)))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
  })
})
