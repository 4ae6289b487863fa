import { afterEach, describe, expect, it } from 'vitest'
import { Scratch, isUp, until } from './helpers.js'

describe('mesh: maxPeers', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('keeps at most maxPeers sessions; a refused member gets in when a slot frees', async () => {
    const fast = { redialBaseMs: 50, redialMaxMs: 400 }
    const a = await scratch.mesh({ maxPeers: 1, limits: fast })
    const b = await scratch.mesh({ limits: fast })
    const c = await scratch.mesh({ limits: fast })
    b.mesh.addPeer(a.mesh.peerId, a.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))

    c.mesh.addPeer(a.mesh.peerId, a.mesh.listenAddrs())
    // C connects, but A refuses its hello while the one slot is taken.
    await until(() => a.mesh.stats().refusedOther >= 1, 10_000, 'A to refuse C')
    expect(a.mesh.connectedPeers()).toEqual([b.mesh.peerId])
    expect(c.mesh.connectedPeers()).toEqual([])

    await b.mesh.stop()
    await a.rec.waitFor(isUp(c.mesh.peerId))
    await c.rec.waitFor(isUp(a.mesh.peerId))
    expect(a.mesh.connectedPeers()).toEqual([c.mesh.peerId])
  })
})

