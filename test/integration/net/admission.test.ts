// Two or more real meshes on loopback: the maxPeers bound and the membership gate (admission and
// revalidate).
import { afterEach, describe, expect, it } from 'vitest'
import { Scratch, isUp, until } from '../../helpers/meshes.js'

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


describe('mesh: membership gate', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('revalidate() closes sessions with a peer no longer allowed, and it stays out until allowed again', async () => {
    const fast = { redialBaseMs: 50, redialMaxMs: 200 }
    let allowB = true
    const a = await scratch.mesh({ limits: fast, isAllowed: () => allowB })
    const b = await scratch.mesh({ limits: fast })
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))

    allowB = false
    a.mesh.revalidate()
    await a.rec.waitFor(e => e.kind === 'down' && e.peer === b.mesh.peerId)
    await b.rec.waitFor(e => e.kind === 'down' && e.peer === a.mesh.peerId)
    expect(a.mesh.stats().sessionsRevoked).toBe(1)
    // B keeps trying (it still knows A); A refuses it as not a member.
    b.mesh.addPeer(a.mesh.peerId, a.mesh.listenAddrs())
    const refusedBefore = a.mesh.stats().refusedOther
    await until(() => a.mesh.stats().refusedOther > refusedBefore, 10_000, 'A to refuse B as not a member')
    expect(a.mesh.connectedPeers()).toEqual([])

    allowB = true
    await a.rec.waitFor(isUp(b.mesh.peerId), 10_000, 2)
  })
})
