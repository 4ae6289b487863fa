// The federation issue's eight cases, against real daemons on 127.0.0.1:
// A founds, B and C join as writers, R as a reader; hand-driven peers
// (rogue.ts) try what a real daemon never would.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { PeerChannel } from '../../../daemon/blob/client.js'
import { BLOB_PROTOCOL } from '../../../daemon/blob/constants.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inviteFromText } from '../../../protocol/invite.js'
import { cli, Node, until } from '../../helpers/daemons.js'
import { addrOf, joinFails, members, status, tamper } from '../../helpers/federation.js'
import { putBody, Rogue } from '../../helpers/rogue.js'

describe('federation', () => {
  let a: Node, b: Node, c: Node, r: Node
  let tokenB: string
  const rogues: Rogue[] = []
  const rogue = async (): Promise<Rogue> => { const x = await Rogue.create(); rogues.push(x); return x }
  const connected = async (n: Node): Promise<string[]> => (await status(n)).peers.map(p => p.peerId)
  /** A marker written at `from` has reached `to`: whatever `from` had forwarded before has too. */
  const marker = async (from: Node, to: Node[], key: string): Promise<void> => {
    expect((await from.publish(key, key)).status).toBe(201)
    for (const n of to) await until(`${key} at ${n.dir}`, async () => (await n.keys()).some(e => e.key === key))
  }

  beforeAll(async () => {
    a = await Node.create(); b = await Node.create(); c = await Node.create(); r = await Node.create()
    await a.start()
    tokenB = await a.invite()
    const t0 = Date.now()
    await b.start(['--join', tokenB])
    console.log(`daemon --join: process start to ready (admitted, own grant replicated) ${Date.now() - t0} ms`)
    await c.start(['--join', await a.invite()])
    await r.start(['--join', await a.invite({ role: 'reader' })])
    await until('A, B and C see each other', async () => {
      const lists = await Promise.all([a, b, c].map(connected))
      return lists.every(l => l.length >= 2)
    })
  }, 60_000)

  afterAll(async () => {
    await Promise.all(rogues.map(async x => { await x.stop() }))
    await Promise.all([a, b, c, r].map(async n => { await n.destroy() }))
  })

  it('joining: one federation id everywhere, roles and inviters listed', async () => {
    const fed = a.ready?.federation
    expect(fed).toMatch(/^fed1/)
    for (const n of [b, c, r]) expect(n.ready?.federation).toBe(fed)
    expect((await status(a)).role).toBe('admin')
    expect((await status(b)).role).toBe('writer')
    expect((await status(r)).role).toBe('reader')
    await until('C lists all four members', async () => (await members(c)).length === 4)
    const list = await members(c)
    expect(list.find(m => m.peerId === a.ready?.peerId)).toMatchObject({ role: 'admin', revoked: false })
    expect(list.find(m => m.peerId === r.ready?.peerId)).toMatchObject({ role: 'reader', invitedBy: a.ready?.peerId })
    const out = await cli(['members', '--dir', b.dir, '--json'])
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ peerId: b.ready?.peerId, role: 'writer', invitedBy: a.ready?.peerId, revoked: false })]))
    // For people: the founder as such, the others with their inviter and the grant's time in UTC.
    const text = (await cli(['members', '--dir', b.dir])).stdout.split('\n')
    // Each line: the site's name, its peer id, its role; the inviter by its site name (once B has A's site record).
    await until('B knows A\'s site name', async () => (await members(b)).find(m => m.peerId === a.ready?.peerId)?.name != null)
    const nameOfA = (await members(b)).find(m => m.peerId === a.ready?.peerId)?.name as string
    expect(text.find(l => l.includes(a.ready?.peerId as string))).toMatch(/admin\s+founded the federation$/)
    expect(text.find(l => l.includes(b.ready?.peerId as string))).toMatch(new RegExp(`writer\\s+invited by ${nameOfA}  since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`))
  })

  it('an expired token is refused (exit 5, "expired") by the joiner and by the member', async () => {
    const token = await a.invite({ ttlMs: 1 })
    const expiry = inviteFromText(token).token.expiresMs
    await until('the token has expired', () => Date.now() > expiry)
    const failed = await joinFails(token)
    expect(failed.code).toBe(5)
    expect(failed.error).toMatchObject({ code: 'PERMISSION_DENIED', reason: 'expired' })
    const x = await rogue()
    expect(await x.join(inviteFromText(token), addrOf(a))).toMatchObject({ ok: false, reason: 'expired' })
  })

  it('a spent single-use token is refused by the inviter and by another member', async () => {
    await until('C knows B\'s grant', async () => (await members(c)).some(m => m.peerId === b.ready?.peerId))
    const atInviter = await joinFails(tokenB)
    expect(atInviter.code).toBe(5)
    expect(atInviter.error).toMatchObject({ reason: 'spent' })
    const atC = await joinFails(tokenB, ['--via', addrOf(c)])
    expect(atC.code).toBe(5)
    expect(atC.error).toMatchObject({ reason: 'spent' })
    expect(atC.error.message).toContain(c.ready?.peerId)
  })

  it('a token of another federation is refused (wrong-federation)', async () => {
    const x = await Node.create()
    try {
      await x.start()
      const foreign = await x.invite()
      const failed = await joinFails(foreign, ['--via', addrOf(a)])
      expect(failed.code).toBe(5)
      expect(failed.error).toMatchObject({ reason: 'wrong-federation' })
      expect(failed.error.message).toContain(a.ready?.peerId)
    } finally {
      await x.destroy()
    }
  })

  it('a tampered token is refused (bad-signature) by the joiner and by the member; garbage is a usage error', async () => {
    const forged = tamper(await a.invite({ role: 'reader' }))
    const failed = await joinFails(forged)
    expect(failed.code).toBe(5)
    expect(failed.error).toMatchObject({ reason: 'bad-signature' })
    const x = await rogue()
    expect(await x.join(inviteFromText(forged), addrOf(a))).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(await members(a)).not.toContainEqual(expect.objectContaining({ peerId: x.peerId }))
    const garbage = await joinFails('mycel2AAAA')
    expect(garbage.code).toBe(2)
  })

  it('a reader that publishes is refused locally (exit 5) and, forcing it onto the wire, by every peer', async () => {
    const file = join(r.dir, 'f.txt')
    await writeFile(file, 'reader bytes')
    const out = await cli(['publish', file, 'from/reader', '--dir', r.dir])
    expect(out.code).toBe(5)
    expect(out.stderr).toMatch(/reader/)

    const x = await rogue()
    expect(await x.join(inviteFromText(await a.invite({ role: 'reader' })), addrOf(a))).toMatchObject({ ok: true })
    const { stream, welcome } = await x.session(addrOf(a), a.ready?.federation ?? '')
    expect(welcome.ok).toBe(true)
    await until('A\'s session with the rogue reader is up', async () => (await connected(a)).includes(x.peerId))
    const rejectedBefore = (await status(a)).stats.rejected
    x.send(stream, { type: 'push', events: [x.event(putBody('forced/by-reader'))], ttl: 3 })
    await until('A counted the refusal', async () => (await status(a)).stats.rejected > rejectedBefore)
    await marker(a, [b, c], 'marker/after-reader')
    for (const n of [a, b, c]) expect((await n.keys()).map(e => e.key)).not.toContain('forced/by-reader')
  })

  it('an event signed by a different member than its claimed author is dropped, never forwarded, and gets its sender banned', async () => {
    const x = await rogue()
    expect(await x.join(inviteFromText(await a.invite()), addrOf(a))).toMatchObject({ ok: true })
    const { stream } = await x.session(addrOf(a), a.ready?.federation ?? '')
    await until('A\'s session with the rogue writer is up', async () => (await connected(a)).includes(x.peerId))
    const before = await status(a)
    const forged = [1, 2, 3].map(i => x.event(putBody(`forged/${i}`), b.ready?.peerId, 10_000 + i))
    for (const e of forged) x.send(stream, { type: 'push', events: [e], ttl: 3 })
    await until('A refused all three', async () => (await status(a)).stats.rejected >= before.stats.rejected + 3)
    await until('A banned the forger', async () => (await status(a)).stats.net.bans > before.stats.net.bans)
    expect((await status(a)).stats.gate?.hostileEvents).toBeGreaterThanOrEqual(3)
    await until('A dropped the forger', async () => !(await connected(a)).includes(x.peerId))
    await marker(a, [b, c], 'marker/after-forgery')
    for (const n of [a, b, c]) expect((await n.keys()).map(e => e.key).filter(k => k.startsWith('forged/'))).toEqual([])
  })

  it('a revoked member is cut off within seconds and its later events are refused', async () => {
    const bId = b.ready?.peerId ?? ''
    const out = await cli(['revoke', bId, '--dir', a.dir, '--json'])
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ peerId: bId })
    const t0 = Date.now()
    await until('A and C closed their sessions with B', async () => !(await connected(a)).includes(bId) && !(await connected(c)).includes(bId), 5_000)
    expect(Date.now() - t0).toBeLessThan(5_000)
    console.log(`revoked member cut off by A and C ${Date.now() - t0} ms after the revoke was durable at A`)
    expect((await members(c)).find(m => m.peerId === bId)).toMatchObject({ revoked: true, role: null })
    // B, cut off, may still write locally; nobody takes it.
    await b.publish('from/revoked', 'late')
    await marker(a, [c], 'marker/after-revoke')
    for (const n of [a, c]) expect((await n.keys()).map(e => e.key)).not.toContain('from/revoked')
    expect(await connected(a)).not.toContain(bId)
  })

  it('`mycel join` moves a running node that is alone into the federation; a refusal leaves it where it was', async () => {
    const d = await Node.create()
    try {
      await d.start()
      const own = d.ready?.federation
      const expired = await a.invite({ ttlMs: 1 })
      await until('the token has expired', () => Date.now() > inviteFromText(expired).token.expiresMs)
      const refused = await cli(['join', expired, '--dir', d.dir])
      expect(refused.code).toBe(5)
      expect(refused.stderr).toMatch(/expired/)
      expect((await status(d)).federation).toBe(own)

      const out = await cli(['join', await a.invite(), '--dir', d.dir, '--json'])
      expect(out.code).toBe(0)
      expect(JSON.parse(out.stdout)).toMatchObject({ federation: a.ready?.federation, role: 'writer', member: a.ready?.peerId, switched: true })
      expect((await status(d)).federation).toBe(a.ready?.federation)
      await until('D knows it is a writer', async () => (await status(d)).role === 'writer')
      await marker(d, [a, c], 'from/joined-at-runtime')
      await until('D has the federation\'s keys', async () => (await d.keys()).some(e => e.key === 'marker/after-reader'))
      const again = await cli(['join', await a.invite(), '--dir', d.dir, '--json'])
      expect(JSON.parse(again.stdout)).toMatchObject({ switched: false })
      // A node with members or keys cannot switch.
      const x = await Node.create()
      try {
        await x.start()
        const stay = await cli(['join', await x.invite(), '--dir', d.dir])
        expect(stay.code).toBe(2)
      } finally {
        await x.destroy()
      }
    } finally {
      await d.destroy()
    }
  })

  it('a non-member that dials gets nothing: sync refused, no session, no events', async () => {
    const x = await rogue()
    const { welcome } = await x.session(addrOf(a), a.ready?.federation ?? '')
    expect(welcome).toMatchObject({ ok: false, reason: 'not-member' })
    expect(await x.join(new Uint8Array([1, 2, 3]), addrOf(a))).toMatchObject({ ok: false, reason: 'malformed' })
    expect((await status(a)).stats.join).toMatchObject({ refused: expect.any(Number), malformed: expect.any(Number) })
    expect(x.inboundSyncStreams).toBe(0)
    expect(await connected(a)).not.toContain(x.peerId)
  })

  it('a non-member gets nothing from the blob protocol either; once admitted it is answered', async () => {
    const x = await rogue()
    const ask = async (): Promise<boolean[]> => {
      const stream = await x.node.dialProtocol(multiaddr(addrOf(a)), BLOB_PROTOCOL)
      const channel = new PeerChannel({ peer: a.ready?.peerId ?? '', stallTimeoutMs: 10_000 }, stream)
      try { return await channel.have([new Uint8Array(32)]) } finally { channel.close() }
    }
    await expect(ask()).rejects.toBeDefined() // the stream is aborted before anything is read
    expect(await x.join(inviteFromText(await a.invite({ role: 'reader' })), addrOf(a))).toMatchObject({ ok: true })
    await until('A answers the new member on the blob protocol', async () => await ask().then(r => r.length === 1, () => false))
    expect(await ask()).toEqual([false]) // answered: it holds no such blob
  })
})
