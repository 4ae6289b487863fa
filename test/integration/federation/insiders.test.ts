// Issue #16's five attacks by members, against real daemons on 127.0.0.1: A
// founds, B and C join as writers; the attackers are hand-built libp2p peers
// (rogue.ts) admitted with real tokens, doing what a daemon never would. Each
// test is the attack as it was once done successfully, now refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signAck } from '../../../protocol/acks.js'
import { memberKey, type Event, type MemberBody } from '../../../protocol/event.js'
import { makeStamp, wallOf } from '../../../protocol/hlc.js'
import { decodeInvite, inviteFromText } from '../../../protocol/invite.js'
import { ed25519Signer } from '../../../daemon/signing.js'
import { cli, Node, until } from '../../helpers/daemons.js'
import { firstEvent } from '../../helpers/events.js'
import { addrOf, members, status } from '../../helpers/federation.js'
import { putBody, Rogue } from '../../helpers/rogue.js'

interface MemberView { peerId: string, role: string | null, revoked: boolean, suspended: { fromSeq: number } | null }

describe('insiders stay within their role', () => {
  let a: Node, b: Node, c: Node
  let fed: string
  const rogues: Rogue[] = []
  const rogue = async (): Promise<Rogue> => { const x = await Rogue.create(); rogues.push(x); return x }
  const all = (): Node[] => [a, b, c]
  const memberList = async (n: Node): Promise<MemberView[]> => (await n.api<MemberView[]>('GET', '/v1/members')).body
  /** A marker written at A has reached B and C: whatever A had forwarded before has too. */
  const marker = async (key: string): Promise<void> => {
    expect((await a.publish(key, key)).status).toBe(201)
    for (const n of [b, c]) await until(`${key} at ${n.dir}`, async () => (await n.keys()).some(e => e.key === key))
  }
  /** A rogue admitted with a fresh token of `role`, with a sync session to every daemon. */
  const member = async (role: 'reader' | 'writer' | 'admin'): Promise<{ x: Rogue, streams: Array<Awaited<ReturnType<Rogue['session']>>['stream']> }> => {
    const x = await rogue()
    expect(await x.join(inviteFromText(await a.invite({ role })), addrOf(a))).toMatchObject({ ok: true })
    for (const n of all()) await until(`${n.dir} knows the ${role}`, async () => (await members(n)).some(m => m.peerId === x.peerId))
    const streams = []
    for (const n of all()) streams.push((await x.session(addrOf(n), fed)).stream)
    return { x, streams }
  }
  const grantOf = async (reader: Rogue, stream: Parameters<Rogue['askEverything']>[0], peer: string): Promise<Event & { body: MemberBody }> => {
    reader.askEverything(stream)
    await until(`the reader has read ${peer}'s grant`, () => reader.heard.some(e => e.body.kind === 'member' && e.body.peer === peer))
    return reader.heard.find(e => e.body.kind === 'member' && e.body.peer === peer) as Event & { body: MemberBody }
  }

  beforeAll(async () => {
    a = await Node.create(); b = await Node.create(); c = await Node.create()
    await a.start()
    fed = a.ready?.federation ?? ''
    await b.start(['--join', await a.invite({ role: 'writer' })])
    await c.start(['--join', await a.invite({ role: 'writer' })])
  }, 60_000)

  afterAll(async () => {
    await Promise.all(rogues.map(async x => { await x.stop() }))
    await Promise.all(all().map(async n => { await n.destroy() }))
  })

  it('attack 1: a reader that copies an admin token and its holder\'s claim out of a grant does not become admin, and the holder stays admin', async () => {
    const { x: reader, streams } = await member('reader')
    const { x: holder, streams: holderStreams } = await member('admin')
    holder.send(holderStreams[0], { type: 'push', events: [holder.event(putBody('from/holder'))], ttl: 3 })
    for (const n of all()) await until(`the holder's key at ${n.dir}`, async () => (await n.keys()).some(e => e.key === 'from/holder'))
    const grant = await grantOf(reader, streams[0], holder.peerId)
    // What the log gives away: the token without its secret, and a claim that names the holder.
    expect(decodeInvite(grant.body.invite as Uint8Array).secret).toBeUndefined()
    const fresh = await rogue()
    expect(await fresh.join(grant.body.invite as Uint8Array, addrOf(b), grant.body.claim)).toMatchObject({ ok: false, reason: 'bad-claim' })
    // The reader signs a grant for its fresh key itself, stamped just before the real one, and pushes it everywhere.
    const forged = reader.event({ kind: 'member', key: memberKey(fresh.peerId, 'ab'.repeat(16)), peer: fresh.peerId, role: 'admin', invite: grant.body.invite, claim: grant.body.claim, seen: [] }, reader.peerId, undefined, wallOf(grant.stamp) - 1)
    const rejected = await Promise.all(all().map(async n => (await status(n)).stats.rejected))
    for (const s of streams) reader.send(s, { type: 'push', events: [forged], ttl: 3 })
    for (const [i, n] of all().entries()) await until(`${n.dir} refused the forged grant`, async () => (await status(n)).stats.rejected > (rejected[i] as number))
    await marker('marker/after-forged-grant')
    for (const n of all()) {
      const list = await memberList(n)
      expect(list.find(m => m.peerId === fresh.peerId)).toBeUndefined()
      expect(list.find(m => m.peerId === holder.peerId)).toMatchObject({ role: 'admin' })
      expect((await n.keys()).map(e => e.key)).toContain('from/holder')
    }
  })

  it('attack 2: a multi-use token read out of a grant admits no fresh key', async () => {
    const { x: reader, streams } = await member('reader')
    const multi = inviteFromText(await a.invite({ role: 'writer', uses: 3 }))
    const first = await rogue()
    expect(await first.join(multi, addrOf(a))).toMatchObject({ ok: true })
    const grant = await grantOf(reader, streams[0], first.peerId)
    for (const claim of [grant.body.claim, new Uint8Array(64)]) {
      const fresh = await rogue()
      expect(await fresh.join(grant.body.invite as Uint8Array, addrOf(c), claim)).toMatchObject({ ok: false, reason: 'bad-claim' })
      expect(await members(a)).not.toContainEqual(expect.objectContaining({ peerId: fresh.peerId }))
    }
    // Its holder may still use it, up to its uses.
    expect(await (await rogue()).join(multi, addrOf(b))).toMatchObject({ ok: true })
  })

  it('attack 3: acknowledgements forged in other members\' names are refused, so a tombstone waits for the member that has not seen it', async () => {
    const { x: reader, streams } = await member('reader')
    expect((await b.publish('k3', 'soon deleted')).status).toBe(201)
    for (const n of all()) await until(`k3 at ${n.dir}`, async () => (await n.keys()).some(e => e.key === 'k3'))
    await c.stop() // C is away and will not see the delete
    expect((await b.api('DELETE', `/v1/keys/${encodeURIComponent('k3')}`)).status).toBeLessThan(300)
    await until('A has the delete', async () => !(await a.keys()).some(e => e.key === 'k3'))
    const before = (await status(a)).stats
    // The reader reads the log up to the delete, and tells A and B that every member, C included, has
    // exactly that durably — rows in their names, with coverage that passes every other check.
    reader.askEverything(streams[0])
    await until('the reader has the tombstone', () => reader.heard.some(e => e.body.kind === 'delete' && e.body.key === 'k3'))
    const covered = new Map<string, number>()
    for (const e of reader.heard) covered.set(e.author, Math.max(covered.get(e.author) ?? 0, e.seq))
    const vv = [...covered]
    const forged = (await memberList(a)).map(m => signAck({ member: m.peerId, seq: covered.get(m.peerId) ?? 0, stamp: makeStamp(Date.now() + 3_600_000, 0), vv }, ed25519Signer(reader.key)))
    // Sent again at every look until A has run ten more anti-entropy rounds (two acknowledgement rounds or more).
    const roundsBefore = (before as unknown as { antiEntropyRounds: number }).antiEntropyRounds
    await until('A ran ten rounds with the forged rows in hand', async () => {
      for (const s of streams.slice(0, 2)) reader.send(s, { type: 'acks', acks: forged, reply: false })
      return ((await status(a)).stats as unknown as { antiEntropyRounds: number }).antiEntropyRounds >= roundsBefore + 10
    })
    expect(((await status(a)).stats as unknown as { acksRefused: number }).acksRefused).toBeGreaterThan(0)
    const after = (await status(a)).stats as unknown as { tombstonesCollected: number }
    expect(after.tombstonesCollected).toBe((before as unknown as { tombstonesCollected: number }).tombstonesCollected)
    await c.start()
    await marker('marker/after-c-returns')
    for (const n of all()) expect((await n.keys()).map(e => e.key)).not.toContain('k3')
  })

  it('attack 4: twins sent to different members without relay are proven, voided everywhere, and the equivocator is suspended', async () => {
    const { x: liar, streams } = await member('writer')
    const one = liar.event(putBody('k4'))
    // The same seq, other content: its twin.
    const two = liar.event({ kind: 'put', key: 'k4', digest: new Uint8Array(32).fill(2), size: 1, props: {} }, liar.peerId, one.seq, wallOf(one.stamp))
    liar.send(streams[0], { type: 'push', events: [one], ttl: 0 })
    liar.send(streams[1], { type: 'push', events: [two], ttl: 0 })
    liar.send(streams[2], { type: 'push', events: [two], ttl: 0 })
    for (const n of all()) {
      await until(`${n.dir} suspends the liar`, async () => (await memberList(n)).find(m => m.peerId === liar.peerId)?.suspended !== null, 40_000)
    }
    await marker('marker/after-twins')
    for (const n of all()) {
      expect((await memberList(n)).find(m => m.peerId === liar.peerId)).toMatchObject({ role: null, suspended: { fromSeq: one.seq } })
      expect((await n.keys()).map(e => e.key)).not.toContain('k4')
    }
    const seen = await firstEvent(a, 'member-suspended')
    expect(seen).toMatchObject({ type: 'member-suspended', peer: liar.peerId })
    // status says so too, for people and for scripts.
    const text = await cli(['status', '--dir', a.dir])
    expect(text.stdout).toContain(`signed a contradiction at its event ${one.seq}`)
    const json = JSON.parse((await cli(['status', '--json', '--dir', a.dir])).stdout) as { suspended: Array<{ peerId: string, fromSeq: number }> }
    expect(json.suspended).toEqual([expect.objectContaining({ peerId: liar.peerId, fromSeq: one.seq })])
  }, 60_000)

  it('attack 5: a revoked member\'s write stamped before its revocation, relayed by another writer, is refused everywhere', async () => {
    const { x: revoked, streams } = await member('writer')
    revoked.send(streams[0], { type: 'push', events: [revoked.event(putBody('k5/before'))], ttl: 3 })
    for (const n of all()) await until(`k5/before at ${n.dir}`, async () => (await n.keys()).some(e => e.key === 'k5/before'))
    const revokedAt = Date.now()
    expect((await a.api('POST', `/v1/revoke?peer=${revoked.peerId}`)).status).toBe(200)
    for (const n of all()) await until(`${n.dir} knows the revoke`, async () => (await memberList(n)).find(m => m.peerId === revoked.peerId)?.revoked === true)
    const { x: relay, streams: relayStreams } = await member('writer')
    const backdated = revoked.event(putBody('k5/backdated'), revoked.peerId, undefined, revokedAt - 5000)
    for (const s of relayStreams) relay.send(s, { type: 'push', events: [backdated], ttl: 3 })
    await marker('marker/after-backdated')
    for (const n of all()) {
      const keys = (await n.keys()).map(e => e.key)
      expect(keys).toContain('k5/before') // within the revoker's view: it stands
      expect(keys).not.toContain('k5/backdated')
    }
  })
})
