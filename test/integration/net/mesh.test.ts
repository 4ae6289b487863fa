// Two real meshes over TCP on loopback: sessions, messages both ways, simultaneous dials.
import { afterEach, describe, expect, it } from 'vitest'
import { Scratch, digest, isDown, isMessage, isUp, text, until } from '../../helpers/meshes.js'

describe('mesh: two peers over real TCP', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('establishes a session, exchanges messages both ways, and reports peerDown', async () => {
    const a = await scratch.mesh()
    const b = await scratch.mesh()
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())

    await a.rec.waitFor(isUp(b.mesh.peerId))
    await b.rec.waitFor(isUp(a.mesh.peerId))
    expect(a.mesh.connectedPeers()).toEqual([b.mesh.peerId])
    expect(b.mesh.connectedPeers()).toEqual([a.mesh.peerId])

    a.mesh.send(b.mesh.peerId, digest('hello from a'))
    b.mesh.send(a.mesh.peerId, digest('hello from b'))
    const atB = await b.rec.waitFor(isMessage(a.mesh.peerId))
    const atA = await a.rec.waitFor(isMessage(b.mesh.peerId))
    expect(atB.kind === 'message' && text(atB.message)).toBe('hello from a')
    expect(atA.kind === 'message' && text(atA.message)).toBe('hello from b')

    // Order is kept within one direction.
    for (let i = 0; i < 50; i++) a.mesh.send(b.mesh.peerId, digest(`n${i}`))
    await b.rec.waitFor(isMessage(a.mesh.peerId, 'n49'))
    const got = b.rec.events.filter(isMessage(a.mesh.peerId)).map(e => e.kind === 'message' ? text(e.message) : '')
    expect(got.slice(1)).toEqual(Array.from({ length: 50 }, (_, i) => `n${i}`))

    // B learned A's address from the session (identify), A knows B from addPeer.
    expect(a.mesh.knownPeers()).toEqual([expect.objectContaining({ peerId: b.mesh.peerId, connected: true })])
    await until(() => b.mesh.knownPeers().some(p => p.peerId === a.mesh.peerId && p.addrs.length > 0), 5_000, 'B to learn A\'s address')

    const stats = a.mesh.stats()
    expect(stats.framesOut).toBeGreaterThanOrEqual(52) // hello + 51 messages
    expect(stats.dropsQueueFull).toBe(0)

    await b.mesh.stop()
    await a.rec.waitFor(isDown(b.mesh.peerId))
    expect(a.mesh.connectedPeers()).toEqual([])
    a.mesh.send(b.mesh.peerId, digest('into the void'))
    expect(a.mesh.stats().dropsNotConnected).toBe(1)
  })

  it('rejects malformed peer ids and addresses with USAGE errors', async () => {
    const a = await scratch.mesh()
    const b = await scratch.mesh()
    expect(() => a.mesh.addPeer('not-a-peer-id', [])).toThrow(expect.objectContaining({ code: 'USAGE' }))
    expect(() => a.mesh.addPeer(b.mesh.peerId, ['not an addr'])).toThrow(expect.objectContaining({ code: 'USAGE' }))
    expect(() => a.mesh.addPeer(b.mesh.peerId, [`/ip4/127.0.0.1/tcp/1/p2p/${a.mesh.peerId}`])).toThrow(expect.objectContaining({ code: 'USAGE' }))
    await expect(a.mesh.dial('/ip4/127.0.0.1/tcp/1')).rejects.toMatchObject({ code: 'USAGE' })
    await expect(a.mesh.dial(a.mesh.listenAddrs()[0] as string)).rejects.toMatchObject({ code: 'USAGE' })
    // Well-formed but nobody listens there: UNAVAILABLE, counted.
    await expect(a.mesh.dial(`/ip4/127.0.0.1/tcp/1/p2p/${b.mesh.peerId}`)).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(a.mesh.stats().dialFailures).toBe(1)
    expect(a.mesh.knownPeers()).toEqual([])
  })

  it('refuses a peer of another federation: no peerUp, no messages', async () => {
    const a = await scratch.mesh({ federation: 'fed-a' })
    const c = await scratch.mesh({ federation: 'fed-c' })
    await a.mesh.dial(c.mesh.listenAddrs()[0] as string)
    // Both sides refuse the other's hello; wait for both refusals to be counted.
    await until(() => a.mesh.stats().refusedFederation >= 1 && c.mesh.stats().refusedFederation >= 1, 5_000, 'refusals')
    expect(a.mesh.stats().refusedByRemote + c.mesh.stats().refusedByRemote).toBeGreaterThanOrEqual(1)
    a.mesh.send(c.mesh.peerId, digest('nope'))
    expect(a.mesh.stats().dropsNotConnected).toBe(1)
    expect(a.rec.events).toEqual([])
    expect(c.rec.events).toEqual([])
    expect(a.mesh.connectedPeers()).toEqual([])
  })
})

describe('mesh: simultaneous dials', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('two peers dialing each other at once end with one working session', async () => {
    const a = await scratch.mesh()
    const b = await scratch.mesh()
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    b.mesh.addPeer(a.mesh.peerId, a.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))
    await b.rec.waitFor(isUp(a.mesh.peerId))
    for (let i = 0; i < 20; i++) {
      a.mesh.send(b.mesh.peerId, digest(`a${i}`))
      b.mesh.send(a.mesh.peerId, digest(`b${i}`))
    }
    await b.rec.waitFor(isMessage(a.mesh.peerId, 'a19'))
    await a.rec.waitFor(isMessage(b.mesh.peerId, 'b19'))
    expect(b.rec.count(isMessage(a.mesh.peerId))).toBe(20)
    expect(a.rec.count(isMessage(b.mesh.peerId))).toBe(20)
    expect(a.mesh.stats().dropsNotConnected + b.mesh.stats().dropsNotConnected).toBe(0)
  })
})
