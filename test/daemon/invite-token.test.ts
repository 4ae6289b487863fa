import { describe, expect, it } from 'vitest'
import { decodeInvite, encodeInvite } from '../../daemon/invite-token.js'

describe('invite token', () => {
  const token = { federation: '0123456789abcdef0123456789abcdef', peer: '12D3KooWExample', addrs: ['/ip4/127.0.0.1/tcp/4710'] }

  it('round-trips', () => {
    expect(decodeInvite(encodeInvite(token))).toEqual({ v: 1, ...token })
    expect(decodeInvite(`  ${encodeInvite(token)}\n`)).toEqual({ v: 1, ...token })
  })

  it('refuses garbage with USAGE and a reason', () => {
    expect(() => decodeInvite('')).toThrow(expect.objectContaining({ code: 'USAGE' }))
    expect(() => decodeInvite('not a token!')).toThrow(/not base64url/)
    expect(() => decodeInvite(Buffer.from('[1').toString('base64url'))).toThrow(/not JSON/)
    expect(() => decodeInvite(Buffer.from(JSON.stringify({ ...token, v: 1, addrs: [] })).toString('base64url'))).toThrow(/address/)
    expect(() => decodeInvite('A'.repeat(100_000))).toThrow(/longer/)
  })

  it('refuses a future version with UNSUPPORTED_VERSION', () => {
    const v2 = Buffer.from(JSON.stringify({ ...token, v: 2 })).toString('base64url')
    expect(() => decodeInvite(v2)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }))
  })
})
