// Site reports (#20) against an insider: a member (a hand-built libp2p client admitted with a writer's
// token) relays a report in B's name that it signed itself, saying B lacks 12 345 keys and cannot reach
// the hub. A refuses it, strikes the sender, and keeps what B's own report says; the member's true
// report of itself is taken. (A report changed in transit is refused the same way: unit-tested in
// test/unit/visibility/site-report.test.ts.)
import type { Stream } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inviteFromText } from '../../../protocol/invite.js'
import { encodeFrame } from '../../../daemon/net/frame.js'
import { ed25519Signer } from '../../../daemon/signing.js'
import { encodeReports, signReport, type SiteReport } from '../../../daemon/visibility/reports/report.js'
import { REPORT_PROTOCOL } from '../../../daemon/visibility/reports/report-gossip.js'
import type { SiteRow } from '../../../daemon/api/contract.js'
import { Node, until } from '../../helpers/daemons.js'
import { Rogue } from '../../helpers/rogue.js'

interface Stats { reports: { received: number, refused: number }, net: { strikes: number } }

describe('site reports from an insider', () => {
  let a: Node, b: Node
  let rogue: Rogue

  beforeAll(async () => {
    a = await Node.create({ name: 'hub' })
    b = await Node.create({ name: 'edge-b' })
    await a.start()
    await b.start(['--join', await a.invite()])
    rogue = await Rogue.create()
    expect(await rogue.join(inviteFromText(await a.invite()), a.ready?.listen[0] ?? '')).toMatchObject({ ok: true })
    await until('A has B\'s own report', async () => (await sites(a)).find(r => r.name === 'edge-b')?.report !== null, 30_000)
  })
  afterAll(async () => {
    await rogue.stop()
    await Promise.all([a.destroy(), b.destroy()])
  })

  async function sites (n: Node): Promise<SiteRow[]> {
    return (await n.api<SiteRow[]>('GET', '/v1/sites')).body
  }
  async function stats (): Promise<Stats> {
    return (await a.api<{ stats: Stats }>('GET', '/v1/status')).body.stats
  }
  async function send (frame: Uint8Array): Promise<void> {
    const stream: Stream = await rogue.node.dialProtocol(multiaddr(a.ready?.listen[0] ?? ''), REPORT_PROTOCOL)
    stream.send(encodeFrame(frame))
    await stream.close().catch(() => {})
  }
  const lie = (author: string): SiteReport => ({ v: 1, author, atMs: Date.now() + 1_000, name: 'edge-b', sites: [{ peer: a.ready?.peerId ?? '', state: 'unreachable', lag: 999 }], holdings: { heldBlobs: 0, heldBytes: 0, missingKeys: 12345, missingBytes: 1 } })

  it('its true report of itself is taken', async () => {
    await send(encodeReports([signReport({ ...lie(rogue.peerId), name: 'rogue', sites: [] }, ed25519Signer(rogue.key))]))
    await until('A holds the member\'s own report', async () => (await sites(a)).find(r => r.peerId === rogue.peerId)?.report !== null)
  })

  it('a report in B\'s name signed by the member is refused and the sender struck; B\'s row keeps B\'s own words', async () => {
    const before = await stats()
    await send(encodeReports([signReport(lie(b.ready?.peerId ?? ''), ed25519Signer(rogue.key))]))
    await until('A refused the forged report', async () => (await stats()).reports.refused > before.reports.refused)
    expect((await stats()).net.strikes).toBeGreaterThan(before.net.strikes)
    const row = (await sites(a)).find(r => r.name === 'edge-b')
    expect(row?.report?.holdings?.missingKeys).toBe(0)
    expect(row?.seenBy ?? []).not.toContainEqual(expect.objectContaining({ lag: 999 }))
    // A's view of itself as B reports it: never "unreachable" from the lie.
    const hub = (await sites(a)).find(r => r.self)
    expect(hub?.seenBy.find(v => v.by === b.ready?.peerId)?.state).toBe('connected')
  })
})
