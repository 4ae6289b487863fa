// Invite tokens, membership, and a replica in a federation.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import { isMycelError } from '../../../protocol/errors.js'
import { memberKey, revokeKey, type Event, type EventBody, type Role } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { checkInvite, decodeInvite, federationIdOf, hexOf, inviteFromText, inviteToText, signInvite, type Genesis, type InviteToken } from '../../../protocol/invite.js'
import { Membership } from '../../../protocol/membership.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { MemCluster } from '../../helpers/mem-cluster.js'

const genesis: Genesis = { founder: 'n0', nonce: new Uint8Array(16).fill(9) }
const FED = federationIdOf(genesis)
const hex16 = (n: number): string => n.toString(16).padStart(32, '0')
const put = (key: string, n = 1): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(n), size: n, props: {} })
const grant = (peer: string, role: Role, n: number, invite?: Uint8Array): EventBody => ({ kind: 'member', key: memberKey(peer, hex16(n)), peer, role, ...(invite !== undefined ? { invite } : {}) })
const revoke = (peer: string, n: number): EventBody => ({ kind: 'revoke', key: revokeKey(peer, hex16(n)), peer })

function token (over: Partial<InviteToken> = {}): InviteToken {
  return { v: 1, federation: FED, genesis, inviter: 'n0', addrs: ['/ip4/127.0.0.1/tcp/4001'], role: 'writer', expiresMs: 2_000_000_000_000, uses: 1, nonce: new Uint8Array(16).fill(1), ...over }
}

function ev (author: string, seq: number, wall: number, body: EventBody): Event {
  return signEvent({ v: 1, author, seq, stamp: makeStamp(wall, 0), body }, fakeSigner(author))
}

describe('invite tokens', () => {
  it('round-trip through their copy-pasteable text form', () => {
    const inv = signInvite(token(), fakeSigner('n0'))
    const text = inviteToText(inv)
    expect(text).toMatch(/^mycel1[A-Za-z0-9_-]+$/)
    const back = inviteFromText(text)
    expect(back.token).toEqual(inv.token)
    expect(checkInvite(back, fakeVerifier, { federation: FED, nowMs: 1_900_000_000_000 })).toBeUndefined()
  })

  it('say why they are refused: tampered, other federation, expired, malformed', () => {
    const inv = signInvite(token(), fakeSigner('n0'))
    const tampered = { ...inv, token: { ...inv.token, role: 'admin' as const }, signed: signInvite(token({ role: 'admin' }), fakeSigner('x')).signed }
    expect(checkInvite(tampered, fakeVerifier)).toBe('bad-signature')
    expect(checkInvite(signInvite(token({ inviter: 'n0' }), fakeSigner('mallory')), fakeVerifier)).toBe('bad-signature')
    expect(checkInvite(inv, fakeVerifier, { federation: 'fed1other' })).toBe('wrong-federation')
    expect(checkInvite(signInvite(token({ federation: 'fed1forged' }), fakeSigner('n0')), fakeVerifier)).toBe('wrong-federation')
    expect(checkInvite(inv, fakeVerifier, { nowMs: 2_000_000_000_001 })).toBe('expired')
    for (const bad of ['', 'hello', 'mycel1!!!', 'mycel1' + 'A'.repeat(40)]) {
      try { inviteFromText(bad); throw new Error('accepted') } catch (err) { expect(isMycelError(err, 'DECODE_FAILED')).toBe(true) }
    }
    expect(() => decodeInvite(new Uint8Array(5000))).toThrow(/over the limit/)
  })
})

describe('Membership', () => {
  it('the founder is admin; an admin grants; a revoke ends a role for good', () => {
    const m = new Membership(genesis, fakeVerifier)
    expect(m.roleAt('n0', 5n)).toBe('admin')
    const g = ev('n0', 1, 1000, grant('n1', 'writer', 1))
    expect(m.authorize(g)).toEqual({ ok: true })
    m.commit(g)
    expect(m.roleAt('n1', makeStamp(999, 0))).toBeUndefined()
    expect(m.roleAt('n1', makeStamp(1000, 0))).toBe('writer')
    expect(m.authorize(ev('n1', 1, 1001, put('k')))).toEqual({ ok: true })
    const r = ev('n0', 2, 2000, revoke('n1', 2))
    m.commit(r)
    expect(m.authorize(ev('n1', 2, 1999, put('k')))).toEqual({ ok: true })
    expect(m.authorize(ev('n1', 3, 2000, put('k')))).toMatchObject({ ok: false, final: true })
    expect(m.members().sort()).toEqual(['n0'])
  })

  it('refuses a reader that writes and a non-admin that grants, as not final', () => {
    const m = new Membership(genesis, fakeVerifier)
    m.commit(ev('n0', 1, 1000, grant('r', 'reader', 1)))
    expect(m.authorize(ev('r', 1, 1001, put('k')))).toMatchObject({ ok: false, final: false })
    expect(m.authorize(ev('r', 2, 1002, grant('x', 'reader', 2)))).toMatchObject({ ok: false, final: false })
    expect(m.authorize(ev('stranger', 1, 1002, put('k')))).toMatchObject({ ok: false, final: false })
  })

  it('admits a token once however many members accept it, the same one everywhere', () => {
    const inv = signInvite(token({ uses: 1 }), fakeSigner('n0')).bytes
    const a = ev('n0', 2, 1000, grant('w', 'writer', 5, inv))
    const b = ev('n1', 1, 1001, grant('z', 'writer', 6, inv))
    const base = ev('n0', 1, 500, grant('n1', 'writer', 4))
    for (const order of [[base, a, b], [b, base, a], [a, b, base]]) {
      const m = new Membership(genesis, fakeVerifier)
      for (const e of order) m.commit(e)
      expect(m.roleAt('w', makeStamp(5000, 0))).toBe('writer')
      expect(m.roleAt('z', makeStamp(5000, 0))).toBeUndefined()
      expect(m.usesOf(hexOf(new Uint8Array(16).fill(1)))).toBe(1)
    }
  })

  it('refuses a token grant that is expired at its stamp, or names another role', () => {
    const m = new Membership(genesis, fakeVerifier)
    const inv = signInvite(token({ expiresMs: 900 }), fakeSigner('n0')).bytes
    expect(m.authorize(ev('n0', 1, 1000, grant('w', 'writer', 1, inv)))).toMatchObject({ ok: false, final: true, reason: 'invite token: expired' })
    const inv2 = signInvite(token(), fakeSigner('n0')).bytes
    expect(m.authorize(ev('n0', 1, 1000, grant('w', 'admin', 1, inv2)))).toMatchObject({ ok: false, final: true })
  })

  it('property: the verdicts do not depend on the order membership events arrive in', () => {
    const peers = ['n0', 'a', 'b', 'c']
    const arb = fc.array(fc.record({ author: fc.constantFrom(...peers), peer: fc.constantFrom('a', 'b', 'c'), revoke: fc.boolean(), role: fc.constantFrom<Role>('reader', 'writer', 'admin'), wall: fc.integer({ min: 1000, max: 1020 }) }), { maxLength: 12 })
    fc.assert(fc.property(arb, fc.nat(), (specs, seed) => {
      const seqs = new Map<string, number>()
      const events = specs.map((s, i) => {
        const seq = (seqs.get(s.author) ?? 0) + 1
        seqs.set(s.author, seq)
        return ev(s.author, seq, s.wall, s.revoke ? revoke(s.peer, i) : grant(s.peer, s.role, i))
      })
      const order = [...events]
      let x = seed
      for (let i = order.length - 1; i > 0; i--) { x = (x * 1103515245 + 12345) >>> 0; const j = x % (i + 1); [order[i], order[j]] = [order[j], order[i]] }
      const m1 = new Membership(genesis, fakeVerifier)
      const m2 = new Membership(genesis, fakeVerifier)
      for (const e of events) m1.commit(e)
      for (const e of order) m2.commit(e)
      return JSON.stringify(m1.list(), (_, v) => typeof v === 'bigint' ? v.toString() : v) === JSON.stringify(m2.list(), (_, v) => typeof v === 'bigint' ? v.toString() : v)
    }), { numRuns: 1000 })
  })
})

describe('Replica in a federation', () => {
  async function federation (n: number, seed = 1): Promise<MemCluster> {
    const c = new MemCluster(n, seed, { genesis })
    c.connectAll()
    for (let i = 1; i < n; i++) await c.write(0, grant(`n${i}`, i === n - 1 ? 'reader' : 'writer', 100 + i))
    await c.converge()
    return c
  }

  it('refuses a reader’s publish locally with PERMISSION_DENIED, and every peer refuses it on the wire', async () => {
    const c = await federation(3)
    expect(() => c.replicas[2].write(put('k'))).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }))
    // Forced onto the wire: a correctly signed event from the reader.
    const forced = ev('n2', 1, c.now, put('k'))
    c.replicas[0].receive('n2', { type: 'push', events: [forced], ttl: 2 })
    c.replicas[1].receive('n2', { type: 'events', events: [forced], through: [['n2', 0, 1]], more: false })
    expect(c.replicas[0].get('k')).toBeUndefined()
    expect(c.replicas[1].get('k')).toBeUndefined()
    expect(c.replicas[0].stats().rejected).toBe(1)
    expect(c.replicas[1].versionVector().find(([a]) => a === 'n2')).toBeUndefined() // not covered, not forwarded
  })

  it('rejects an event signed by a different member than its claimed author', async () => {
    const c = await federation(3)
    const forged = signEvent({ v: 1, author: 'n1', seq: 99, stamp: makeStamp(c.now, 0), body: put('k') }, fakeSigner('n0'))
    c.replicas[2].receive('n0', { type: 'push', events: [forged], ttl: 1 })
    expect(c.replicas[2].get('k')).toBeUndefined()
    expect(c.replicas[2].stats().rejected).toBe(1)
  })

  it('a revocation that arrives after the revoked member’s write converges everywhere to the version it superseded', async () => {
    const c = await federation(4) // n1, n2 writers; n3 reader
    const p0 = await c.write(2, put('k', 1))
    await c.converge()
    // n1 is cut off from n0; n0 revokes n1 while n1, unaware, overwrites k and reaches n3 first.
    const isolate = (id: string): void => { for (const r of c.replicas) for (const p of c.ids()) if ((r.id === id) !== (p === id)) r.peerDown(p) }
    isolate('n1')
    c.now += 5000
    await c.write(0, revoke('n1', 7))
    c.deliver()
    c.now += 10
    const p1 = c.replicas[1].write(put('k', 2))
    await Promise.resolve()
    c.replicas[3].receive('n1', { type: 'push', events: [p1], ttl: 0 })
    expect(c.replicas[3].get('k')).toBe(p1) // n3 had not heard of the revoke yet
    c.connectAll()
    await c.converge()
    for (const r of c.replicas) {
      expect(r.get('k')?.id).toEqual(p0.id)
      expect(r.members()?.members().sort()).toEqual(['n0', 'n2', 'n3'])
    }
    expect(c.replicas[3].stats().invalidated).toBeGreaterThanOrEqual(1)
  })

  it('collects superseded versions once their winner is stable, and keeps the digests equal', async () => {
    const c = await federation(3)
    for (let i = 0; i < 5; i++) await c.write(1, put('k', i))
    await c.converge()
    for (let i = 0; i < 60; i++) { c.advance(1100); c.deliver() }
    for (const r of c.replicas) {
      expect(r.stats().versionsCollected).toBeGreaterThanOrEqual(4)
      expect(r.get('k')?.body).toMatchObject({ size: 4 })
    }
    expect(c.digestsEqual()).toBe(true)
  })

  it('property: writes, deletes, grants and revokes in any schedule converge to one state', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ node: fc.nat(3), key: fc.nat(3), op: fc.constantFrom('put', 'del', 'put', 'revoke') }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 1_000_000 }),
      async (ops, seed) => {
        const c = await federation(4, seed)
        for (const [i, op] of ops.entries()) {
          const r = c.replicas[op.node]
          try {
            if (op.op === 'revoke') c.replicas[0].write(revoke(`n${1 + (op.key % 3)}`, 1000 + i))
            else r.write(op.op === 'put' ? put(`k${op.key}`, i) : { kind: 'delete', key: `k${op.key}` })
          } catch (err) { if (!isMycelError(err, 'PERMISSION_DENIED')) throw err }
          await Promise.resolve()
          if (i % 3 === 0) { c.deliver({ maxSteps: 6, loss: 0.2 }); c.advance(200) }
        }
        await c.converge(400)
        return c.digestsEqual()
      }
    ), { numRuns: 1000 })
  })
})
