// Invite tokens, membership, and a replica in a federation.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signAck } from '../../../protocol/acks.js'
import { signEvent } from '../../../protocol/codec.js'
import { isMycelError } from '../../../protocol/errors.js'
import { faultKey, memberKey, revokeKey, type Event, type EventBody, type NewEventBody, type Role, type SeenEntries } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { checkInvite, decodeInvite, federationIdOf, hexOf, inviteFromText, inviteToText, makeClaim, signInvite, type Genesis, type InviteToken, type SignedInvite } from '../../../protocol/invite.js'
import { Membership } from '../../../protocol/membership.js'
import { faultNonce } from '../../../protocol/fault-key.js'
import { fakeKeys, fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { MemCluster } from '../../helpers/mem-cluster.js'

const genesis: Genesis = { founder: 'n0', nonce: new Uint8Array(16).fill(9) }
const FED = federationIdOf(genesis)
const keys = fakeKeys()
const hex16 = (n: number): string => n.toString(16).padStart(32, '0')
const put = (key: string, n = 1): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(n), size: n, props: {} })
const grant = (peer: string, role: Role, n: number, seen: SeenEntries = []): EventBody => ({ kind: 'member', key: memberKey(peer, hex16(n)), peer, role, seen })
const revoke = (peer: string, n: number, seen: SeenEntries = []): EventBody => ({ kind: 'revoke', key: revokeKey(peer, hex16(n)), peer, seen })
/** A grant carrying token and the holder's claim for `peer` (what a member writes when it admits a joiner). */
const tokenGrant = (inv: SignedInvite, peer: string, n: number, seen: SeenEntries = []): EventBody =>
  ({ kind: 'member', key: memberKey(peer, hex16(n)), peer, role: inv.token.role, invite: inv.bytes, claim: makeClaim(inv, peer, keys), seen })

function invite (over: Partial<InviteToken> = {}, inviter = over.inviter ?? 'n0'): SignedInvite {
  const k = keys.generate()
  const token: InviteToken = { v: 2, federation: FED, genesis, inviter, addrs: ['/ip4/127.0.0.1/tcp/4001'], role: 'writer', expiresMs: 2_000_000_000_000, uses: 1, nonce: new Uint8Array(16).fill(1), key: k.id, ...over }
  return signInvite(token, fakeSigner(inviter), k.secret)
}

function ev (author: string, seq: number, wall: number, body: EventBody): Event {
  return signEvent({ v: 1, author, seq, stamp: makeStamp(wall, 0), body }, fakeSigner(author))
}

function membership (...events: Event[]): Membership {
  const m = new Membership(genesis, fakeVerifier)
  for (const e of events) m.commit(e)
  return m
}

describe('invite tokens', () => {
  it('round-trip through their text form, which alone holds the one-time secret', () => {
    const inv = invite()
    const text = inviteToText(inv)
    expect(text).toMatch(/^mycel2[A-Za-z0-9_-]+$/)
    const back = inviteFromText(text, keys)
    expect(back.token).toEqual(inv.token)
    expect(back.secret).toEqual(inv.secret)
    expect(checkInvite(back, fakeVerifier, { federation: FED, nowMs: 1_900_000_000_000 })).toBeUndefined()
    // The public part — what a grant carries — has no secret and cannot make a claim.
    const pub = decodeInvite(inv.bytes)
    expect(pub.secret).toBeUndefined()
    expect(Buffer.from(inv.bytes).includes(Buffer.from(inv.secret as Uint8Array))).toBe(false)
    expect(() => makeClaim(pub, 'x', keys)).toThrow(/no secret/)
  })

  it('say why they are refused: tampered, other federation, expired, malformed, old format, wrong secret', () => {
    const inv = invite()
    expect(checkInvite({ ...inv, signed: invite({ role: 'admin' }, 'x').signed }, fakeVerifier)).toBe('bad-signature')
    expect(checkInvite(invite({ inviter: 'n0' }, 'mallory'), fakeVerifier)).toBe('bad-signature')
    expect(checkInvite(inv, fakeVerifier, { federation: 'fed1other' })).toBe('wrong-federation')
    expect(checkInvite(invite({ federation: 'fed1forged' }), fakeVerifier)).toBe('wrong-federation')
    expect(checkInvite(inv, fakeVerifier, { nowMs: 2_000_000_000_001 })).toBe('expired')
    for (const bad of ['', 'hello', 'mycel2!!!', 'mycel2' + 'A'.repeat(40)]) {
      try { inviteFromText(bad); throw new Error('accepted') } catch (err) { expect(isMycelError(err, 'DECODE_FAILED')).toBe(true) }
    }
    expect(() => inviteFromText('mycel1AAAA')).toThrow(/older mycel/)
    expect(() => decodeInvite(new Uint8Array(5000))).toThrow(/over the limit/)
    const other = invite()
    const swapped = inviteToText({ ...inv, secret: other.secret })
    expect(() => inviteFromText(swapped, keys)).toThrow(/does not belong/)
  })
})

describe('Membership: authority comes from views, not stamps', () => {
  it('the founder is admin; a grant covers the peer\'s events after the granter\'s view; a revoke voids those after the revoker\'s view, whatever their stamps', () => {
    const g = ev('n0', 1, 1000, grant('n1', 'writer', 1))
    const m = membership(g)
    expect(m.roleNow('n0')).toBe('admin')
    expect(m.roleOf('n1', 1)).toBe('writer')
    expect(m.authorize(ev('n1', 1, 1001, put('k')))).toEqual({ ok: true })
    // n0 had n1's events through 3 when it revoked.
    m.commit(ev('n0', 2, 2000, revoke('n1', 2, [['n1', 3]])))
    expect(m.authorize(ev('n1', 3, 1999, put('k')))).toEqual({ ok: true })
    // Attack 5: a write after the revoker's view, stamped long before the revoke: void, for good.
    expect(m.authorize(ev('n1', 4, 1500, put('k')))).toMatchObject({ ok: false, final: true })
    expect(m.cutOf('n1')).toMatchObject({ seq: 3, kind: 'revoke' })
    expect(m.members().sort()).toEqual(['n0'])
  })

  it('refuses a reader that writes and a non-admin that grants, as not final', () => {
    const m = membership(ev('n0', 1, 1000, grant('r', 'reader', 1)))
    expect(m.authorize(ev('r', 1, 1001, put('k')))).toMatchObject({ ok: false, final: false })
    expect(m.authorize(ev('r', 2, 1002, grant('x', 'reader', 2)))).toMatchObject({ ok: false, final: false })
    expect(m.authorize(ev('stranger', 1, 1002, put('k')))).toMatchObject({ ok: false, final: false })
  })

  it('attack 1: a reader that copies an admin token out of a grant cannot admit a key of its own, however it stamps the grant', () => {
    const admin = invite({ role: 'admin', nonce: new Uint8Array(16).fill(2) })
    const base = ev('n0', 1, 1000, grant('r', 'reader', 1))
    const real = ev('n0', 2, 3000, tokenGrant(admin, 'J', 2, [['r', 0]]))
    const copied = decodeInvite((real.body as { invite: Uint8Array }).invite)
    // The reader reuses the token and even J's claim, for its fresh key, stamped before the real grant.
    const stolenClaim = (real.body as { claim: Uint8Array }).claim
    const forged = ev('r', 1, 2000, { kind: 'member', key: memberKey('fresh', hex16(9)), peer: 'fresh', role: 'admin', invite: copied.bytes, claim: stolenClaim, seen: [] })
    for (const order of [[base, real, forged], [base, forged, real]]) {
      const m = new Membership(genesis, fakeVerifier)
      for (const e of order) if (m.authorize(e).ok) m.commit(e)
      expect(m.authorize(forged)).toMatchObject({ ok: false, final: true, reason: expect.stringMatching(/no valid claim/) })
      expect(m.roleNow('fresh')).toBeUndefined()
      expect(m.roleNow('J')).toBe('admin')
    }
  })

  it('attack 2: a multi-use token read out of a grant admits nobody else; its holder may use it up to its uses', () => {
    const multi = invite({ uses: 3, nonce: new Uint8Array(16).fill(3) })
    const g1 = ev('n0', 1, 1000, tokenGrant(multi, 'a', 1))
    const fromLog = decodeInvite((g1.body as { invite: Uint8Array }).invite)
    const m = membership(g1)
    expect(() => makeClaim(fromLog, 'fresh', keys)).toThrow(/no secret/)
    expect(m.authorize(ev('n0', 2, 1001, { kind: 'member', key: memberKey('fresh', hex16(2)), peer: 'fresh', role: 'writer', invite: fromLog.bytes, seen: [] }))).toMatchObject({ ok: false, final: true })
    m.commit(ev('n0', 2, 1002, tokenGrant(multi, 'b', 2)))
    m.commit(ev('n0', 3, 1003, tokenGrant(multi, 'c', 3)))
    expect(m.usesOf(hexOf(multi.token.nonce))).toBe(3)
    expect(m.authorize(ev('n0', 4, 1004, tokenGrant(multi, 'd', 4)))).toMatchObject({ ok: false, reason: /spent/ })
  })

  it('gives a single-use token to one joiner everywhere, decided by the claims — not by the stamps members chose', () => {
    const once = invite({ uses: 1, nonce: new Uint8Array(16).fill(4) })
    const base = ev('n0', 1, 500, grant('n1', 'writer', 4))
    const winnerOf = (wallA: number, wallB: number): string[] => {
      const a = ev('n0', 2, wallA, tokenGrant(once, 'w', 5))
      const b = ev('n1', 1, wallB, tokenGrant(once, 'z', 6, [['n0', 1]]))
      const out: string[] = []
      for (const order of [[base, a, b], [b, base, a], [a, b, base]]) {
        const m = new Membership(genesis, fakeVerifier)
        for (const e of order) m.commit(e)
        out.push(['w', 'z'].filter(p => m.roleNow(p) !== undefined).join())
        expect(m.usesOf(hexOf(once.token.nonce))).toBe(1)
      }
      return out
    }
    const honest = winnerOf(1000, 1001)
    expect(new Set(honest).size).toBe(1)
    // Backdating either grant changes nothing: the use goes to the same joiner.
    expect(winnerOf(1000, 10)).toEqual(honest)
    expect(winnerOf(10, 1001)).toEqual(honest)
    // A grant written after its author had seen the other one comes second.
    const first = ev('n0', 2, 1000, tokenGrant(once, 'w', 5))
    const later = ev('n1', 1, 10, tokenGrant(once, 'z', 6, [['n0', 2]]))
    const m = membership(base, first, later)
    expect(m.roleNow('w')).toBe('writer')
    expect(m.roleNow('z')).toBeUndefined()
  })

  it('refuses a token grant that is expired at its stamp, names another role, or carries no claim', () => {
    const m = new Membership(genesis, fakeVerifier)
    expect(m.authorize(ev('n0', 1, 1000, tokenGrant(invite({ expiresMs: 900 }), 'w', 1)))).toMatchObject({ ok: false, final: true, reason: 'invite token: expired' })
    const inv = invite()
    expect(m.authorize(ev('n0', 1, 1000, { ...tokenGrant(inv, 'w', 1), role: 'admin' } as EventBody))).toMatchObject({ ok: false, final: true })
    expect(m.authorize(ev('n0', 1, 1000, { kind: 'member', key: memberKey('w', hex16(1)), peer: 'w', role: 'writer', invite: inv.bytes, seen: [] }))).toMatchObject({ ok: false, final: true })
    expect(m.authorize(ev('n0', 1, 1000, tokenGrant(inv, 'w', 1)))).toEqual({ ok: true })
  })

  it('a token dies with its inviter\'s revocation, except for grants the revoker had seen', () => {
    const setup = [ev('n0', 1, 1000, grant('A', 'admin', 1)), ev('n0', 2, 1001, grant('n1', 'writer', 2))]
    const inv = invite({ uses: 3, nonce: new Uint8Array(16).fill(5) }, 'A')
    const early = ev('n1', 1, 1100, tokenGrant(inv, 'early', 3, [['n0', 2]]))
    const late = ev('n1', 2, 1200, tokenGrant(inv, 'late', 4, [['n0', 2]]))
    // n0 revokes A having seen n1's first grant (n1 seq 1) but not its second.
    const r = ev('n0', 3, 1300, revoke('A', 5, [['A', 0], ['n1', 1]]))
    for (const order of [[...setup, early, late, r], [...setup, r, early, late]]) {
      const m = new Membership(genesis, fakeVerifier)
      for (const e of order) if (m.authorize(e).ok) m.commit(e)
      expect(m.roleNow('early')).toBe('writer')
      expect(m.roleNow('late')).toBeUndefined()
      expect(m.authorize(late)).toMatchObject({ ok: false, final: true, reason: /inviter was revoked/ })
    }
    // Stamping the late grant before the revoke changes nothing.
    const backdated = ev('n1', 2, 1050, tokenGrant(inv, 'late', 4, [['n0', 2]]))
    expect(membership(...setup, early, r).authorize(backdated)).toMatchObject({ ok: false, final: true })
  })

  it('a demotion covers the peer\'s events after the demoting admin\'s view', () => {
    const m = membership(ev('n0', 1, 1000, grant('w', 'writer', 1)), ev('n0', 2, 2000, grant('w', 'reader', 2, [['w', 5]])))
    expect(m.roleOf('w', 5)).toBe('writer')
    expect(m.roleOf('w', 6)).toBe('reader')
    expect(m.authorize(ev('w', 5, 2500, put('k')))).toEqual({ ok: true })
    expect(m.authorize(ev('w', 6, 1500, put('k')))).toMatchObject({ ok: false }) // backdated: still a reader's
  })

  it('admins that revoke each other, neither having seen the other\'s revoke, are both revoked; a revoked admin cannot escape by backdating', () => {
    const setup = [ev('n0', 1, 1000, grant('A', 'admin', 1)), ev('n0', 2, 1001, grant('B', 'admin', 2))]
    const aRevokesB = ev('A', 1, 2000, revoke('B', 3, [['B', 0]]))
    const bRevokesA = ev('B', 1, 2001, revoke('A', 4, [['A', 0]]))
    const both = membership(...setup, aRevokesB, bRevokesA)
    expect(both.roleNow('A')).toBeUndefined()
    expect(both.roleNow('B')).toBeUndefined()
    // B had seen A's revoke (its view of A covers it) and still counter-revokes, stamped early: B stays revoked, A stays.
    const late = ev('B', 1, 1500, revoke('A', 5, [['A', 1]]))
    for (const order of [[...setup, aRevokesB, late], [...setup, late, aRevokesB]]) {
      const m = new Membership(genesis, fakeVerifier)
      for (const e of order) m.commit(e)
      expect(m.roleNow('A')).toBe('admin')
      expect(m.roleNow('B')).toBeUndefined()
    }
  })
})

describe('Membership: fault proofs suspend a member from the fault on', () => {
  const base = ev('n0', 1, 1000, grant('w', 'writer', 1))
  // The author has seen everything of the accused (its view cuts nothing before the fault) unless a test says otherwise.
  const fault = (author: string, seq: number, body: Omit<Extract<NewEventBody, { kind: 'fault' }>, 'kind' | 'key'>, n = 1, seen: SeenEntries = [[body.peer, 1000]]): Event =>
    ev(author, seq, 5000, { kind: 'fault', key: faultKey(body.peer, faultNonce(author, body.a, body.b)), ...body, seen })

  it('twins: both are void, and so is everything after', () => {
    const one = ev('w', 2, 2000, put('k', 1))
    const two = ev('w', 2, 2000, put('k', 2))
    const m = membership(base, ev('w', 1, 1500, put('j')))
    const f = fault('n0', 2, { peer: 'w', proof: 'twin', a: one.bytes, b: two.bytes })
    expect(m.authorize(f)).toEqual({ ok: true })
    m.commit(f)
    expect(m.cutOf('w')).toMatchObject({ seq: 1, kind: 'fault' })
    expect(m.authorize(ev('w', 1, 1500, put('j')))).toEqual({ ok: true })
    for (const e of [one, two, ev('w', 3, 2100, put('x'))]) expect(m.authorize(e)).toMatchObject({ ok: false, final: true })
    expect(m.members()).not.toContain('w')
  })

  it('stamps against seqs, and an event stamped below its author\'s signed ack', () => {
    const lo = ev('w', 3, 3000, put('a'))
    const hi = ev('w', 4, 2000, put('b'))
    const m = membership(base)
    m.commit(fault('n0', 2, { peer: 'w', proof: 'order', a: lo.bytes, b: hi.bytes }))
    expect(m.cutOf('w')?.seq).toBe(3)
    const ack = signAck({ member: 'w', seq: 7, stamp: makeStamp(4000, 0), vv: [['w', 7]] }, fakeSigner('w'))
    const back = ev('w', 8, 3999, put('c'))
    const m2 = membership(base)
    m2.commit(fault('n0', 2, { peer: 'w', proof: 'backdate', a: back.bytes, b: ack.bytes }))
    expect(m2.cutOf('w')?.seq).toBe(7)
  })

  it('cuts at the author\'s view of the accused when that is lower than the fault: what counts is what an honest member had', () => {
    const m = membership(base)
    m.commit(fault('n0', 2, { peer: 'w', proof: 'twin', a: ev('w', 9, 2000, put('k', 1)).bytes, b: ev('w', 9, 2000, put('k', 2)).bytes }, 1, [['w', 4]]))
    expect(m.cutOf('w')).toMatchObject({ seq: 4, kind: 'fault' })
    expect(m.authorize(ev('w', 5, 1500, put('j')))).toMatchObject({ ok: false, final: true, cut: true })
  })

  it('a fault event is its author\'s alone: another member cannot write one on its key (and supersede it)', () => {
    const one = ev('w', 2, 2000, put('k', 1))
    const two = ev('w', 2, 2000, put('k', 2))
    const mine = faultKey('w', faultNonce('n0', one.bytes, two.bytes))
    expect(() => ev('n1', 1, 6000, { kind: 'fault', key: mine, peer: 'w', proof: 'twin', a: one.bytes, b: two.bytes, seen: [] })).toThrow(/fault key/)
  })

  it('refuses a proof that proves nothing: a forged signature, the same event twice, honest order', () => {
    const m = membership(base)
    const one = ev('w', 2, 2000, put('k', 1))
    const forged = signEvent({ v: 1, author: 'w', seq: 2, stamp: makeStamp(2000, 0), body: put('k', 2) }, fakeSigner('mallory'))
    expect(m.authorize(fault('n0', 2, { peer: 'w', proof: 'twin', a: one.bytes, b: forged.bytes }))).toMatchObject({ ok: false, final: true })
    expect(m.authorize(fault('n0', 2, { peer: 'w', proof: 'twin', a: one.bytes, b: one.bytes }))).toMatchObject({ ok: false, final: true })
    expect(m.authorize(fault('n0', 2, { peer: 'w', proof: 'order', a: ev('w', 1, 1000, put('a')).bytes, b: ev('w', 2, 1001, put('b')).bytes }))).toMatchObject({ ok: false, final: true })
  })
})

describe('Membership: order independence', () => {
  it('property: the verdicts do not depend on the order membership events arrive in', () => {
    const peers = ['n0', 'a', 'b', 'c']
    const arb = fc.array(fc.record({ author: fc.constantFrom(...peers), peer: fc.constantFrom('a', 'b', 'c'), revoke: fc.boolean(), role: fc.constantFrom<Role>('reader', 'writer', 'admin'), wall: fc.integer({ min: 1000, max: 1020 }), seen: fc.array(fc.tuple(fc.constantFrom(...peers), fc.nat(4)), { maxLength: 3 }) }), { maxLength: 12 })
    fc.assert(fc.property(arb, fc.nat(), (specs, seed) => {
      const seqs = new Map<string, number>()
      const events = specs.map((s, i) => {
        const seq = (seqs.get(s.author) ?? 0) + 1
        seqs.set(s.author, seq)
        const seen = [...new Map(s.seen.filter(([p]) => p !== s.author))].sort((x, y) => (x[0] < y[0] ? -1 : 1))
        return ev(s.author, seq, s.wall, s.revoke ? revoke(s.peer, i, seen) : grant(s.peer, s.role, i, seen))
      })
      const order = [...events]
      let x = seed
      for (let i = order.length - 1; i > 0; i--) { x = (x * 1103515245 + 12345) >>> 0; const j = x % (i + 1); [order[i], order[j]] = [order[j], order[i]] }
      const show = (m: Membership): string => JSON.stringify(m.list(), (_, v) => typeof v === 'bigint' ? v.toString() : v)
      return show(membership(...events)) === show(membership(...order))
    }), { numRuns: 1000 })
  })
})

describe('Replica in a federation', () => {
  async function federation (n: number, seed = 1): Promise<MemCluster> {
    const c = new MemCluster(n, seed, { genesis })
    c.connectAll()
    for (let i = 1; i < n; i++) await c.write(0, { kind: 'member', key: memberKey(`n${i}`, hex16(100 + i)), peer: `n${i}`, role: i === n - 1 ? 'reader' : 'writer' })
    await c.converge()
    return c
  }

  it('refuses a reader’s publish locally with PERMISSION_DENIED, and every peer refuses it on the wire', async () => {
    const c = await federation(3)
    expect(() => c.replicas[2].write(put('k'))).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }))
    const forced = ev('n2', 1, c.now, put('k'))
    c.replicas[0].receive('n2', { type: 'push', events: [forced], ttl: 2 })
    c.replicas[1].receive('n2', { type: 'events', events: [forced], through: [['n2', 0, 1]], more: false })
    expect(c.replicas[0].get('k')).toBeUndefined()
    expect(c.replicas[1].get('k')).toBeUndefined()
    expect(c.replicas[0].stats().rejected).toBe(1)
    expect(c.replicas[1].versionVector().find(([a]) => a === 'n2')).toBeUndefined()
  })

  it('rejects an event signed by a different member than its claimed author', async () => {
    const c = await federation(3)
    const forged = signEvent({ v: 1, author: 'n1', seq: 99, stamp: makeStamp(c.now, 0), body: put('k') }, fakeSigner('n0'))
    c.replicas[2].receive('n0', { type: 'push', events: [forged], ttl: 1 })
    expect(c.replicas[2].get('k')).toBeUndefined()
    expect(c.replicas[2].stats().rejected).toBe(1)
  })

  it('writes its view into the membership events it authors', async () => {
    const c = await federation(3)
    await c.write(1, put('k'))
    await c.converge()
    const r = await c.write(0, { kind: 'revoke', key: revokeKey('n1', hex16(7)), peer: 'n1' })
    expect((r.body as { seen: SeenEntries }).seen).toContainEqual(['n1', 1])
  })

  it('a revocation converges everywhere: the revoked member\'s writes beyond the revoker\'s view are gone, the versions they superseded are back', async () => {
    const c = await federation(4) // n1, n2 writers; n3 reader
    const p0 = await c.write(2, put('k', 1))
    await c.converge()
    const isolate = (id: string): void => { for (const r of c.replicas) for (const p of c.ids()) if ((r.id === id) !== (p === id)) r.peerDown(p) }
    isolate('n1')
    c.now += 5000
    await c.write(0, { kind: 'revoke', key: revokeKey('n1', hex16(7)), peer: 'n1' })
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

  it('attack 5: a revoked member\'s write stamped before its revocation, relayed by another writer, is refused everywhere', async () => {
    const c = await federation(4)
    await c.write(1, put('a', 1))
    await c.converge()
    c.now += 5000
    await c.write(0, { kind: 'revoke', key: revokeKey('n1', hex16(8)), peer: 'n1' })
    await c.converge()
    // n1, revoked, signs a write stamped 5 s back with its next seq; n2 (a writer) relays it to everyone.
    const backdated = ev('n1', 3, c.now - 5000, put('b', 1))
    for (const r of c.replicas) r.receive('n2', { type: 'push', events: [backdated], ttl: 1 })
    await c.converge()
    for (const r of c.replicas) expect(r.get('b')).toBeUndefined()
    expect(c.digestsEqual()).toBe(true)
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

  it('a joiner that knows only some members does not collect on their word: every author in their acks must be known to it', async () => {
    const c = new MemCluster(4, 3, { genesis })
    const [n0, n1, n2, joiner] = c.replicas
    for (const a of [n0, n1, n2]) for (const b of [n0, n1, n2]) if (a !== b) a.peerUp(b.id)
    // The three converge among themselves; the joiner hears nothing yet.
    const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) { await Promise.resolve(); c.deliver(); c.now += 20; for (const r of [n0, n1, n2]) r.tick() } }
    const rowOf = (r: typeof n0): ReturnType<typeof signAck> => signAck({ member: r.id, seq: r.versionVector().find(([a]) => a === r.id)?.[1] ?? 0, stamp: makeStamp(c.now, r.versionVector().length), vv: r.versionVector() }, fakeSigner(r.id))
    const g1 = await c.write(0, { kind: 'member', key: memberKey('n1', hex16(1)), peer: 'n1', role: 'writer' })
    await settle()
    const p = await c.write(1, put('k', 1))
    const t = await c.write(1, { kind: 'delete', key: 'k' })
    await settle()
    const oldRowOfN0 = rowOf(n0) // n0 acks n1's tombstone, before it grants n2
    c.now += 10
    await c.write(0, { kind: 'member', key: memberKey('n2', hex16(2)), peer: 'n2', role: 'writer' })
    await c.write(0, { kind: 'member', key: memberKey('n3', hex16(3)), peer: 'n3', role: 'writer' })
    await settle()
    await c.write(2, put('j', 1))
    await settle()
    c.now += 10
    const rowOfN1 = rowOf(n1) // n1 has seen n2's write
    c.pool.length = 0
    // The joiner has n0's grant of n1 (not yet n2's), n1's put and tombstone, n0's older ack and n1's newer one.
    joiner.receive('n0', { type: 'events', events: [g1, p, t], through: [], more: false })
    joiner.receive('n0', { type: 'acks', acks: [oldRowOfN0, rowOfN1], reply: false })
    expect(joiner.members()?.members().sort()).toEqual(['n0', 'n1'])
    expect(joiner.get('k')?.body.kind).toBe('delete')
    joiner.peerUp('n0')
    for (let i = 0; i < 20; i++) { c.advance(1100); c.pool.length = 0 }
    expect(joiner.stats().tombstonesCollected).toBe(0) // n2 is in n1's ack but not in its view: it waits
  })

  it('attack 3: acks forged for other members are refused, so a tombstone waits for the member that has not seen it', async () => {
    const c = await federation(4) // n3 is a reader: the forger
    await c.write(1, put('k', 1))
    await c.converge()
    // n2 goes offline; n1 deletes k.
    const isolate = (id: string, up: boolean): void => { for (const r of c.replicas) for (const p of c.ids()) if ((r.id === id) !== (p === id)) { if (up) r.peerUp(p); else r.peerDown(p) } }
    isolate('n2', false)
    await c.write(1, { kind: 'delete', key: 'k' })
    for (let i = 0; i < 5; i++) { c.advance(300); c.deliver() }
    // The reader claims, in everyone's name, that every member has seen everything.
    const everything = c.replicas[0].versionVector()
    const covered = new Map(everything)
    const forged = c.ids().map(member => signAck({ member, seq: covered.get(member) ?? 0, stamp: makeStamp(c.now + 3_600_000, 0), vv: everything }, fakeSigner('n3')))
    for (const r of [c.replicas[0], c.replicas[1]]) r.receive('n3', { type: 'acks', acks: forged, reply: false })
    for (let i = 0; i < 40; i++) { c.advance(1100); c.deliver() }
    expect(c.replicas[0].stats().acksRefused).toBeGreaterThan(0)
    expect(c.replicas[0].stats().tombstonesCollected).toBe(0)
    isolate('n2', true)
    await c.converge()
    for (let i = 0; i < 60; i++) { c.advance(1100); c.deliver() }
    for (const r of c.replicas) expect(r.get('k')?.body.kind ?? 'gone').not.toBe('put')
    expect(c.digestsEqual()).toBe(true)
  })

  it('attack 4: twins sent to different members without relay are found, proven and voided everywhere; the equivocator is suspended', async () => {
    const c = await federation(4)
    await c.write(1, put('k', 1))
    await c.converge()
    const one = ev('n1', 2, c.now + 1, put('k', 2))
    const two = ev('n1', 2, c.now + 1, put('k', 3))
    c.replicas[0].receive('n1', { type: 'push', events: [one], ttl: 0 })
    for (const i of [2, 3]) c.replicas[i].receive('n1', { type: 'push', events: [two], ttl: 0 })
    for (let i = 0; i < 30; i++) { c.advance(1100); c.deliver() }
    await c.converge()
    for (const r of c.replicas) {
      expect(r.members()?.cutOf('n1')).toMatchObject({ seq: 1, kind: 'fault' })
      expect(r.get('k')?.body).toMatchObject({ size: 1 })
    }
    expect(c.digestsEqual()).toBe(true)
    expect(c.replicas.reduce((n, r) => n + r.stats().faultsWritten, 0)).toBeGreaterThanOrEqual(1)
  })

  it('an event stamped below its author\'s signed ack is proof of backdating', async () => {
    const c = await federation(3)
    await c.write(1, put('a', 1))
    await c.converge()
    for (let i = 0; i < 10; i++) { c.advance(1100); c.deliver() } // acks flow and pin n1's clock
    const back = ev('n1', 2, c.now - 60_000, put('b', 1))
    c.replicas[2].receive('n1', { type: 'push', events: [back], ttl: 0 })
    await c.converge()
    for (const r of c.replicas) {
      expect(r.members()?.cutOf('n1')).toMatchObject({ kind: 'fault' })
      expect(r.get('b')).toBeUndefined()
    }
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
            if (op.op === 'revoke') c.replicas[0].write({ kind: 'revoke', key: revokeKey(`n${1 + (op.key % 3)}`, hex16(1000 + i)), peer: `n${1 + (op.key % 3)}` })
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
