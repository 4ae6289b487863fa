// Peer addresses as the mesh stores and dials them, relay (/p2p-circuit) addresses included.
import { describe, expect, it } from 'vitest'
import { checkPeerAddr, parseDialAddr, usableAddr } from '../../../daemon/net/peer-addr.js'

const RELAY = '12D3KooWE79M4kM8K11t28yhxbnXfiCoRaiuF2iQm2rQ8WPmk9gr'
const SITE = '12D3KooWP1bx1U9qzUxodKcipZvA5w43wj8r4BENykf23NW1MUJM'
const SELF = '12D3KooWSoQKzBMZFPSshMitn4TuFsoEtir5VWCR6g2k3hiwEy2J'

describe('peer addresses', () => {
  it('a relay address names the site after /p2p-circuit, not the relay', () => {
    const circuit = `/ip4/10.0.0.1/tcp/4710/p2p/${RELAY}/p2p-circuit`
    expect(checkPeerAddr(circuit, SITE)).toBe(circuit)
    expect(checkPeerAddr(`${circuit}/p2p/${SITE}`, SITE)).toBe(circuit)
    expect(() => checkPeerAddr(`${circuit}/p2p/${SELF}`, SITE)).toThrow(/names peer/)
    expect(parseDialAddr(`${circuit}/p2p/${SITE}`, SELF).peer).toBe(SITE)
    expect(() => parseDialAddr(circuit, SELF)).toThrow(/does not end in \/p2p/)
    expect(checkPeerAddr(`/ip4/10.0.0.1/tcp/4710/p2p/${SITE}`, SITE)).toBe('/ip4/10.0.0.1/tcp/4710')
  })

  it('relay addresses are kept for redials; the bare /p2p-circuit (no relay named) is not', () => {
    expect(usableAddr(`/ip4/10.0.0.1/tcp/4710/p2p/${RELAY}/p2p-circuit`)).toBe(true)
    expect(usableAddr('/ip4/10.0.0.1/tcp/4710')).toBe(true)
    expect(usableAddr('/p2p-circuit')).toBe(false)
  })
})
