// Real meshes that restart: redials, and a node finding its peers again from peers.json.
import { rm, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Scratch, digest, isDown, isMessage, isUp } from '../../helpers/meshes.js'

function tcpPort (addr: string): number {
  const match = /\/tcp\/(\d+)\//.exec(addr)
  if (match === null) throw new Error(`no tcp port in ${addr}`)
  return Number(match[1])
}

describe('mesh: restarts', () => {
  const scratch = new Scratch()
  afterEach(async () => { await scratch.cleanup() })

  it('redials a peer that restarts, and the session comes back up', async () => {
    const a = await scratch.mesh()
    const b1 = await scratch.mesh()
    const bAddr = b1.mesh.listenAddrs()[0] as string
    a.mesh.addPeer(b1.mesh.peerId, [bAddr])
    await a.rec.waitFor(isUp(b1.mesh.peerId))

    await b1.mesh.stop()
    await a.rec.waitFor(isDown(b1.mesh.peerId))
    const dialsBefore = a.mesh.stats().dials
    // B forgets A, so only A's redial can bring the session back.
    await rm(join(b1.dir, 'peers.json'), { force: true })

    const b2 = await scratch.mesh({ dir: b1.dir, listen: [`/ip4/127.0.0.1/tcp/${tcpPort(bAddr)}`] })
    expect(b2.mesh.peerId).toBe(b1.mesh.peerId) // same identity from the same dir
    await a.rec.waitFor(isUp(b2.mesh.peerId), 10_000, 2)
    await b2.rec.waitFor(isUp(a.mesh.peerId))
    expect(a.mesh.stats().dials).toBeGreaterThan(dialsBefore)

    a.mesh.send(b2.mesh.peerId, digest('welcome back'))
    await b2.rec.waitFor(isMessage(a.mesh.peerId, 'welcome back'))
  })

  it('a restarted node finds its peers again from peers.json', async () => {
    const a1 = await scratch.mesh()
    const b = await scratch.mesh()
    a1.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    await a1.rec.waitFor(isUp(b.mesh.peerId))
    await a1.mesh.stop()
    await b.rec.waitFor(isDown(a1.mesh.peerId))

    const book = JSON.parse(await readFile(join(a1.dir, 'peers.json'), 'utf8'))
    expect(book.peers).toEqual([expect.objectContaining({ peerId: b.mesh.peerId, addrs: expect.arrayContaining([expect.stringContaining('/tcp/')]) })])

    const a2 = await scratch.mesh({ dir: a1.dir })
    await a2.rec.waitFor(isUp(b.mesh.peerId))
    await b.rec.waitFor(isUp(a2.mesh.peerId), 10_000, 2)
    expect(a2.mesh.knownPeers()).toEqual([expect.objectContaining({ peerId: b.mesh.peerId, connected: true })])
  })
})
