// Sites behind NAT (issue #26), with real daemons on 127.0.0.1. A founds the federation and listens on
// TCP, so it relays for members. B and C listen on /p2p-circuit only: no TCP listener, nothing anyone
// can dial. B joins A (a 2-member federation), then C joins by token via A. B and C can reach each
// other only through A's relay (DCUtR cannot upgrade: neither side has an address to dial), so each
// sees the other `relayed`, and A sees both `direct` (they dialed it). Blobs go both ways through the
// relay. A stranger can neither reserve on A nor reach C through A.
import { noise } from '@chainsafe/libp2p-noise'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p, type Libp2p } from 'libp2p'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { addrOf } from '../../helpers/federation.js'

interface PeerRow { peerId: string, connected: boolean, reach: string | null, addrs: string[] }
interface SiteRowView { peerId: string, name: string | null, self: boolean, state: string, reach: string | null }

/** The first column of `mycel sites`: the site's name, else the end of its peer id. */
function siteName (rows: SiteRowView[], peer: string): string {
  const row = rows.find(r => r.peerId === peer)
  return row?.name ?? peer.slice(-12)
}
interface StatusView { listen: string[], peers: Array<{ peerId: string, reach: string | null }> }

const HOP = '/libp2p/circuit/relay/0.2.0/hop'
/** HopMessage { type: RESERVE } (field 1, varint 0), as protobuf. */
const RESERVE = Uint8Array.from([0x08, 0x00])
/** Status PERMISSION_DENIED (202) as field 5 of a HopMessage: tag 0x28, varint 0xca 0x01. */
const PERMISSION_DENIED = [0x28, 0xca, 0x01]

describe('sites behind NAT: circuit relay through a member', () => {
  let a: Node, b: Node, c: Node
  let stranger: Libp2p | undefined
  const id = (n: Node): string => n.ready?.peerId as string
  const peers = async (n: Node): Promise<PeerRow[]> => (await n.api<PeerRow[]>('GET', '/v1/peers')).body
  const reachOf = async (n: Node, of: Node): Promise<string | null | undefined> => (await peers(n)).find(p => p.peerId === id(of) && p.connected)?.reach

  beforeAll(async () => {
    a = await Node.create({ replicate: 'on-demand' })
    b = await Node.create({ replicate: 'on-demand' })
    c = await Node.create({ replicate: 'on-demand' })
    b.listen = '/p2p-circuit'
    c.listen = '/p2p-circuit'
    await a.start()
    await b.start(['--join', await a.invite(), '--via', addrOf(a)])
    const t0 = Date.now()
    await c.start(['--join', await a.invite(), '--via', addrOf(a)])
    await until('B and C reach each other through A', async () => await reachOf(b, c) === 'relayed' && await reachOf(c, b) === 'relayed', 25_000)
    console.log(`C: process start to a relayed session with B ${Date.now() - t0} ms`)
  }, 60_000)

  afterAll(async () => {
    await stranger?.stop()
    await Promise.all([a, b, c].map(async n => { await n?.destroy() }))
  })

  it('a relayed site has no TCP listener and announces its address through A', async () => {
    for (const n of [b, c]) {
      const listen = (await n.api<StatusView>('GET', '/v1/status')).body.listen
      expect(listen.length).toBeGreaterThan(0)
      for (const addr of listen) expect(addr).toMatch(new RegExp(`/p2p/${id(a)}/p2p-circuit/p2p/${id(n)}$`))
    }
    // B learned C's circuit address from C's addrs event, and remembers it for redials.
    expect((await peers(b)).find(p => p.peerId === id(c))?.addrs).toContain(`${addrOf(a).replace(/\/p2p\/[^/]+$/, '')}/p2p/${id(a)}/p2p-circuit`)
  })

  it('reach: relayed between the NAT\'d sites, direct to the relay, in peers, status and sites (and --json)', async () => {
    await until('A sees B and C connected', async () => await reachOf(a, b) !== undefined && await reachOf(a, c) !== undefined)
    expect(await reachOf(a, b)).toBe('direct')
    expect(await reachOf(a, c)).toBe('direct')
    expect(await reachOf(c, a)).toBe('direct')
    const status = (await c.api<StatusView>('GET', '/v1/status')).body
    expect(status.peers.find(p => p.peerId === id(b))?.reach).toBe('relayed')
    expect(status.peers.find(p => p.peerId === id(a))?.reach).toBe('direct')
    // Site health notes a session a moment after it is up: await it, then read the row.
    const siteOf = async (peer: string): Promise<SiteRowView | undefined> => (await c.api<SiteRowView[]>('GET', '/v1/sites')).body.find(s => s.peerId === peer)
    await until('C\'s sites list B as connected', async () => (await siteOf(id(b)))?.state === 'connected')
    const sites = (await c.api<SiteRowView[]>('GET', '/v1/sites')).body
    expect(sites.find(s => s.peerId === id(b))).toMatchObject({ state: 'connected', reach: 'relayed' })
    expect(sites.find(s => s.self)).toMatchObject({ reach: null })
    const json = JSON.parse((await cli(['peers', '--dir', c.dir, '--json'])).stdout) as PeerRow[]
    expect(json.find(p => p.peerId === id(b))?.reach).toBe('relayed')
    const text = (await cli(['peers', '--dir', c.dir])).stdout.split('\n')
    expect(text.find(l => l.includes(id(b)))).toMatch(/connected {2}lag \S+ {2}relayed$/)
    const table = (await cli(['sites', '--dir', c.dir])).stdout.split('\n')
    expect(table[0]).toMatch(/OTHERS SEE IT\s+REACH$/)
    expect(table.find(l => l.startsWith(siteName(sites, id(b))))).toMatch(/\s+connected\s+.*\s+relayed$/)
    expect((await cli(['status', '--dir', c.dir])).stdout).toMatch(new RegExp(`\\(${id(b)}\\) {2}relayed`))
  })

  it('blobs go both ways through the relay: C publishes, B fetches; B publishes, C fetches', async () => {
    const fromC = 'made at C, behind NAT\n'.repeat(20_000) // ~460 KB: well past libp2p's default 128 KiB relay limit
    const fromB = 'made at B, behind NAT too\n'.repeat(100)
    const putC = await c.publish('relay/from-c', fromC)
    const putB = await b.publish('relay/from-b', fromB)
    expect([putC.status, putB.status]).toEqual([201, 201])
    await until('B has C\'s key, C has B\'s', async () => (await b.keys()).some(e => e.key === 'relay/from-c') && (await c.keys()).some(e => e.key === 'relay/from-b'))
    const content = async (n: Node, digest: string): Promise<string> => {
      const res = await fetch(`${n.ready?.api as string}/v1/blobs/${digest}/content?wait=20`, { headers: { authorization: `Bearer ${await token(n)}` } })
      expect(res.status).toBe(200)
      return await res.text()
    }
    // A holds neither (on-demand): B's bytes can only come from C, through A's relay, and back.
    expect(await content(b, putC.body.digest)).toBe(fromC)
    expect(await content(c, putB.body.digest)).toBe(fromB)
    expect(await reachOf(b, c)).toBe('relayed')
  })

  it('a stranger can neither hold a reservation on A nor reach C through A', async () => {
    stranger = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp(), circuitRelayTransport()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    // RESERVE, by hand: refused with PERMISSION_DENIED by A's gater.
    const stream = await stranger.dialProtocol(multiaddr(addrOf(a)), HOP)
    const lp = lpStream(stream)
    await lp.write(RESERVE)
    const answer = (await lp.read()).subarray()
    expect(containsSeq(answer, PERMISSION_DENIED)).toBe(true)
    // CONNECT to C through A: refused (A's gater: the source is no member).
    const circuit = multiaddr(`${addrOf(a)}/p2p-circuit/p2p/${id(c)}`)
    await expect(stranger.dial(circuit, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow()
    expect(stranger.getConnections().some(conn => conn.remotePeer.toString() === id(c))).toBe(false)
  })
})

async function token (n: Node): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return (await readFile(`${n.dir}/api.token`, 'utf8')).trim()
}

function containsSeq (bytes: Uint8Array, seq: number[]): boolean {
  outer: for (let i = 0; i + seq.length <= bytes.length; i++) {
    for (let j = 0; j < seq.length; j++) if (bytes[i + j] !== seq[j]) continue outer
    return true
  }
  return false
}
