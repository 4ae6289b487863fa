// A raw libp2p peer throws malformed and hostile input at a real mesh: strikes, bans, hello timeouts.
import { afterEach, describe, expect, it } from 'vitest'
import type { Libp2p } from 'libp2p'
import { encodeVarint, encodeFrame } from '../../../daemon/net/frame.js'
import { Scratch, digest, isMessage, isUp, until } from '../../helpers/meshes.js'
import { closed, handshake, openSync, rawNode } from '../../helpers/raw-peer.js'

describe('mesh: malformed and hostile input', () => {
  const scratch = new Scratch()
  let raw: Libp2p | undefined
  afterEach(async () => {
    await raw?.stop()
    await scratch.cleanup()
  })

  it('aborts only the bad stream, counts each failure, and bans a repeat offender', async () => {
    const a = await scratch.mesh()
    const b = await scratch.mesh()
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))
    await b.rec.waitFor(isUp(a.mesh.peerId))
    const aAddr = a.mesh.listenAddrs()[0] as string
    raw = await rawNode()

    // 1. Garbage where the hello should be.
    const s1 = await openSync(raw, aAddr)
    s1.send(Uint8Array.from([5, 0xff, 0xfe, 0xfd, 0xfc, 0xfb]))
    expect(await closed(s1)).toEqual({ error: true })
    expect(a.mesh.stats().badHellos).toBe(1)

    // 2. A good hello, then a length prefix of 100 MiB with no payload: refused on the prefix alone.
    const s2 = await openSync(raw, aAddr)
    expect(await handshake(s2, 'fed-test')).toEqual({ v: 1, ok: true })
    s2.send(encodeVarint(100 * 1024 * 1024))
    expect(await closed(s2)).toEqual({ error: true })
    expect(a.mesh.stats().oversizedFrames).toBe(1)

    // The good session is untouched, both ways.
    a.mesh.send(b.mesh.peerId, digest('still here'))
    b.mesh.send(a.mesh.peerId, digest('me too'))
    await b.rec.waitFor(isMessage(a.mesh.peerId, 'still here'))
    await a.rec.waitFor(isMessage(b.mesh.peerId, 'me too'))
    expect(a.mesh.stats().bans).toBe(0)

    // 3. A well-framed payload the codec rejects: the third strike bans the raw peer.
    const s3 = await openSync(raw, aAddr)
    expect(await handshake(s3, 'fed-test')).toEqual({ v: 1, ok: true })
    s3.send(encodeFrame(Uint8Array.from([0x99, 1, 2, 3])))
    expect(await closed(s3)).toEqual({ error: true })
    const stats = a.mesh.stats()
    expect(stats.decodeFailures).toBe(1)
    expect(stats.strikes).toBe(3)
    expect(stats.bans).toBe(1)
    expect(stats.streamsAborted).toBeGreaterThanOrEqual(3)
    await until(() => raw?.getConnections().length === 0, 5_000, 'the banned peer to be hung up on')
    // It cannot come back while banned: A's connection gater drops it as soon as its peer id is known
    // (with Noise's early muxer negotiation the dialer may briefly see the connection as open).
    await expect(openSync(raw, aAddr)).rejects.toThrow()
    await until(() => raw?.getConnections().length === 0, 5_000, 'the banned peer\'s redial to be dropped')
    expect(a.host.node.getConnections(raw.peerId).length).toBe(0)

    // And A still talks to B; the raw peer never counted as a member.
    a.mesh.send(b.mesh.peerId, digest('after the ban'))
    await b.rec.waitFor(isMessage(a.mesh.peerId, 'after the ban'))
    expect(a.mesh.connectedPeers()).toEqual([b.mesh.peerId])
    expect(a.rec.count(e => e.kind === 'up')).toBe(1)
  })

  it('aborts a stream that never says hello, after the hello timeout', async () => {
    const a = await scratch.mesh({ limits: { helloTimeoutMs: 300 } })
    raw = await rawNode()
    const s = await openSync(raw, a.mesh.listenAddrs()[0] as string)
    expect(await closed(s)).toEqual({ error: true })
    expect(a.mesh.stats()).toMatchObject({ helloTimeouts: 1, badHellos: 0, strikes: 1 })
  })

  it('refuses a hello of another federation with a reason, and cuts off a peer that keeps the stream open', async () => {
    const a = await scratch.mesh({ limits: { helloTimeoutMs: 300 } })
    raw = await rawNode()
    const s = await openSync(raw, a.mesh.listenAddrs()[0] as string)
    expect(await handshake(s, 'some-other-federation')).toEqual({ v: 1, ok: false, reason: 'federation' })
    // The raw peer never closes its side; A aborts the stream once the grace period is over.
    expect(await closed(s)).toEqual({ error: true })
    expect(a.mesh.stats()).toMatchObject({ refusedFederation: 1, strikes: 0 })
    expect(a.rec.events).toEqual([])
  })
})
