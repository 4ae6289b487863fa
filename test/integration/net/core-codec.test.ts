// Real meshes with the core's codec: its messages travel, a payload it rejects ends only that stream.
import { afterEach, describe, expect, it } from 'vitest'
import * as cbor from '@ipld/dag-cbor'
import type { Libp2p } from 'libp2p'
import type { SyncMessage } from '../../../protocol/messages.js'
import { coreCodec } from '../../../daemon/net/codec.js'
import { encodeFrame } from '../../../daemon/net/frame.js'
import { Scratch, isUp } from '../../helpers/meshes.js'
import { closed, handshake, openSync, rawNode } from '../../helpers/raw-peer.js'

describe('mesh with the core\'s codec', () => {
  const scratch = new Scratch()
  let raw: Libp2p | undefined
  afterEach(async () => {
    await raw?.stop()
    await scratch.cleanup()
  })

  it('carries the core\'s messages and counts a payload the core rejects', async () => {
    const a = await scratch.mesh({ codec: coreCodec })
    const b = await scratch.mesh({ codec: coreCodec })
    a.mesh.addPeer(b.mesh.peerId, b.mesh.listenAddrs())
    await a.rec.waitFor(isUp(b.mesh.peerId))
    await b.rec.waitFor(isUp(a.mesh.peerId))

    const digest: SyncMessage = { type: 'digest', digest: new Uint8Array(32).fill(9) }
    const vv: SyncMessage = { type: 'vv', vv: [['author-1', 3], ['author-2', 7]], reply: true }
    a.mesh.send(b.mesh.peerId, digest)
    a.mesh.send(b.mesh.peerId, vv)
    await b.rec.waitFor(e => e.kind === 'message', 10_000, 2)
    expect(b.rec.events.filter(e => e.kind === 'message').map(e => e.kind === 'message' && e.message)).toEqual([digest, vv])

    // A well-framed payload the core's strict decoder rejects aborts that stream and is counted.
    raw = await rawNode()
    const s = await openSync(raw, a.mesh.listenAddrs()[0] as string)
    expect(await handshake(s, 'fed-test')).toEqual({ v: 1, ok: true })
    s.send(encodeFrame(cbor.encode({ v: 1, t: 'digest', d: new Uint8Array(5) }))) // digest must be 32 bytes
    expect(await closed(s)).toEqual({ error: true })
    expect(a.mesh.stats().decodeFailures).toBe(1)
    expect(a.mesh.connectedPeers()).toEqual([b.mesh.peerId])
  })
})
