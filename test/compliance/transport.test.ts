// One contract (transport.ts), two transports: the daemon's libp2p mesh on
// 127.0.0.1 (real TCP, Noise, yamux and hellos) and the simulator's link model
// (Cluster's links over Network, on the event queue, with stand-in replicas
// that record what the transport tells them).
import type { Libp2p } from 'libp2p'
import { afterEach, describe, it } from 'vitest'
import { MAX_MESSAGE_BYTES } from '../../protocol/limits.js'
import type { SyncMessage } from '../../protocol/messages.js'
import type { ReplicaApi, ReplicaComponents } from '../../protocol/replica-api.js'
import { Cluster } from '../../sim/cluster.js'
import { calmNetwork } from '../../sim/network.js'
import { Scratch, type Recorder, type TestMesh, until } from '../helpers/meshes.js'
import { handshake, openSync, rawNode } from '../helpers/raw-peer.js'
import { message, textOf, TRANSPORT_CONTRACT, type Recorded, type TransportHarness } from './transport.js'

const FEDERATION = 'fed-test'

/** a and b: meshes on loopback, b dialing a; a's gate is a set of refused peers. */
async function libp2pMeshes (): Promise<TransportHarness> {
  const scratch = new Scratch()
  const limits = { maxFrameBytes: 64 * 1024, redialBaseMs: 50, redialMaxMs: 200, maintainIntervalMs: 100 }
  const refused = new Set<string>()
  const raws: Libp2p[] = []
  const recorders = new Map<string, Recorder[]>()
  const meshes = new Map<string, TestMesh>()
  const start = async (options: { dir?: string, gate?: boolean } = {}): Promise<TestMesh> => {
    const m = await scratch.mesh({ federation: FEDERATION, limits, dir: options.dir, isAllowed: options.gate === true ? peer => !refused.has(peer) : undefined })
    recorders.set(m.mesh.peerId, [...(recorders.get(m.mesh.peerId) ?? []), m.rec])
    meshes.set(m.mesh.peerId, m)
    return m
  }
  const a = await start({ gate: true })
  const b = await start()
  const aAddr = a.mesh.listenAddrs()[0] as string
  await b.mesh.dial(aAddr)
  const log = (at: string): Recorded[] => (recorders.get(at) ?? []).flatMap(r => r.events.map(e => e.kind === 'message' ? { kind: 'message' as const, peer: e.peer, ...textOf(e.message) } : e))
  const linked = (): boolean => log(a.mesh.peerId).some(e => e.kind === 'up') && log(b.mesh.peerId).some(e => e.kind === 'up')
  await until(linked, 15_000, 'a and b linked')
  const bDir = b.dir
  return {
    a: a.mesh.peerId,
    b: b.mesh.peerId,
    log,
    send: (from, to, text, bytes) => { meshes.get(from)?.mesh.send(to, message(text, bytes)) },
    until: async (condition, what) => { await until(condition, 15_000, what) },
    quiet: async () => { await new Promise(resolve => setTimeout(resolve, 500)) },
    drop: async (which, how) => {
      const m = meshes.get(which) as TestMesh
      if (how === 'close') await m.mesh.stop()
      else for (const c of m.host.node.getConnections()) c.abort(new Error('connection reset (test)'))
    },
    restore: async which => {
      const again = await start({ dir: which === b.mesh.peerId ? bDir : undefined })
      await again.mesh.dial(aAddr)
    },
    halfOpen: async () => {
      // A bare node opens a sync stream and has its hello welcomed, but takes no stream of a's: a's own
      // hello never reaches it.
      const raw = await rawNode()
      raws.push(raw)
      await handshake(await openSync(raw, aAddr), FEDERATION)
      return raw.peerId.toString()
    },
    disallowAtA: () => { refused.add(b.mesh.peerId); a.mesh.revalidate() },
    maxMessageBytes: limits.maxFrameBytes,
    close: async () => {
      await Promise.allSettled(raws.map(async r => { await r.stop() }))
      await scratch.cleanup()
    }
  }
}

/** A replica stand-in: it records what the transport tells it and sends what the test asks. */
function recordingReplica (id: string, c: ReplicaComponents, log: (e: Recorded) => void, sender: (send: (to: string, m: SyncMessage) => void) => void): ReplicaApi {
  sender(c.send)
  return {
    id,
    write: () => { throw new Error('not in this test') },
    lastBatchNumber: () => 0,
    markDurable: () => {},
    receive: (from, m) => { log({ kind: 'message', peer: from, ...textOf(m) }) },
    peerUp: peer => { log({ kind: 'up', peer }) },
    peerDown: peer => { log({ kind: 'down', peer }) },
    tick: () => Infinity,
    nextTickMs: () => Infinity,
    get: () => undefined,
    live: () => [],
    page: () => ({ events: [], more: false }),
    counts: () => ({ keys: 0, tombstones: 0 }),
    digest: () => new Uint8Array(32),
    versionVector: () => [],
    highWater: () => 0n,
    connectedPeers: () => [],
    peerStatus: () => undefined,
    stats: () => ({ applied: 0, duplicates: 0, superseded: 0, rejected: 0, held: 0, heldNow: 0, released: 0, messagesOut: 0, antiEntropyRounds: 0, tombstonesCollected: 0, versionsCollected: 0, invalidated: 0, faultsNoticed: 0, faultsWritten: 0, acksRefused: 0, heldBytes: 0, heldShed: 0, tooFarAhead: 0, pushesDropped: 0 })
  }
}

/**
 * n0 (a) and n1 (b) linked; n2 kept out by the gate until halfOpen() crashes it and lets it in: the
 * network would connect it, but no process is there to do its half. close = the process stops (a
 * crash), abort = the cable is cut (a link down); a's gate refuses b at disallowAtA().
 */
async function simulatedLinks (): Promise<TransportHarness> {
  const logs = new Map<string, Recorded[]>()
  const senders = new Map<string, (to: string, m: SyncMessage) => void>()
  let n2Allowed = false
  let bAllowedAtA = true
  const cluster = new Cluster({ seed: 1, nodes: 3, network: calmNetwork(10), fsyncMs: [1, 2], replica: {}, collectTombstones: false }, {
    createReplica: (init, c) => recordingReplica(init.id, c, e => { logs.set(init.id, [...(logs.get(init.id) ?? []), e]) }, send => { senders.set(init.id, send) }),
    allowLink: (self, peer) => (n2Allowed || (self !== 2 && peer !== 2)) && (bAllowedAtA || !(self === 0 && peer === 1))
  })
  const index = (id: string): number => Number(id.slice(1))
  const cut = new Set<string>()
  return {
    a: 'n0',
    b: 'n1',
    log: at => logs.get(at) ?? [],
    send: (from, to, text, bytes) => { senders.get(from)?.(to, message(text, bytes)) },
    until: async (condition, what) => {
      const deadline = cluster.now() + 60_000
      while (!condition()) {
        if (cluster.now() > deadline) throw new Error(`no ${what} within 60 s of virtual time`)
        cluster.runFor(10)
      }
    },
    quiet: async () => { cluster.runFor(2_000) },
    drop: async (which, how) => {
      if (how === 'close') { cluster.crash(index(which)); return }
      cut.add(which)
      cluster.setLinkDown(0, index(which), true)
    },
    restore: async which => {
      if (cut.delete(which)) cluster.setLinkDown(0, index(which), false)
      else cluster.restart(index(which))
    },
    halfOpen: async () => {
      cluster.crash(2)
      n2Allowed = true
      cluster.revalidate()
      return 'n2'
    },
    disallowAtA: () => { bAllowedAtA = false; cluster.revalidate() },
    maxMessageBytes: MAX_MESSAGE_BYTES,
    close: async () => {}
  }
}

const TRANSPORTS: Array<[string, () => Promise<TransportHarness>]> = [
  ['libp2p mesh on 127.0.0.1', libp2pMeshes],
  ['simulator links', simulatedLinks]
]

for (const [name, make] of TRANSPORTS) {
  describe(`transport contract: ${name}`, () => {
    let harness: TransportHarness | undefined
    afterEach(async () => { await harness?.close(); harness = undefined })
    for (const [property, check] of TRANSPORT_CONTRACT) {
      it(property, async () => {
        harness = await make()
        await check(harness)
      })
    }
  })
}
