// The member's verdict on join requests, the invite/revoke operations and the
// gate, over a real core (Replica with a genesis) and deterministic crypto.
import { describe, expect, it } from 'vitest'
import { admit } from '../../../daemon/federation/join/admit.js'
import { FederationGate } from '../../../daemon/federation/gate.js'
import { FederationOps } from '../../../daemon/federation/ops.js'
import { Logger } from '../../../daemon/log.js'
import { signEvent } from '../../../protocol/codec.js'
import { decodeInvite, federationIdOf, inviteFromText, makeClaim, signInvite, type Genesis, type SignedInvite } from '../../../protocol/invite.js'
import { Replica } from '../../../protocol/replica.js'
import { fakeKeys, fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'

const keys = fakeKeys()

const genesis: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(1) }
const silent = new Logger({ level: 'error', write: () => {} })

function founder (now: { t: number }): { replica: Replica, ops: FederationOps, admitPeer: (peer: string, inv: SignedInvite | Uint8Array, claim?: Uint8Array) => ReturnType<typeof admit> } {
  const replica: Replica = new Replica({ id: 'F', genesis }, {
    clock: { nowMs: () => now.t, monoMs: () => now.t },
    random: { float: () => 0.5, int: () => 0 },
    signer: fakeSigner('F'),
    verifier: fakeVerifier,
    send: () => {},
    persist: b => { queueMicrotask(() => { replica.markDurable(b.n) }) }
  })
  let nonce = 0
  const ops = new FederationOps({
    selfId: 'F',
    members: () => replica.members(),
    signer: fakeSigner('F'),
    nowMs: () => now.t,
    listenAddrs: () => ['/ip4/127.0.0.1/tcp/4710/p2p/F'],
    writeDurably: async body => replica.write(body),
    keys
  })
  // The joiner's request: the token's public part and its claim for itself (unless a test brings another).
  const admitPeer = async (peer: string, inv: SignedInvite | Uint8Array, claim?: Uint8Array): ReturnType<typeof admit> => await admit({
    replica,
    verifier: fakeVerifier,
    nowMs: () => now.t,
    whenDurable: async () => {},
    nonce: () => new Uint8Array(16).fill(++nonce)
  }, peer, inv instanceof Uint8Array
    ? { invite: inv, claim: claim ?? new Uint8Array(64) }
    : { invite: inv.bytes, claim: claim ?? makeClaim(inv, peer, keys) })
  return { replica, ops, admitPeer }
}

describe('admission, invite and revoke', () => {
  it('a valid token admits once; the grant is in the membership with the inviter', async () => {
    const now = { t: 1_700_000_000_000 }
    const { replica, ops, admitPeer } = founder(now)
    const inv = inviteFromText(ops.invite({ role: 'reader' }).token)
    expect(await admitPeer('P', inv)).toMatchObject({ ok: true, genesis })
    expect(replica.members()?.list().find(e => e.peer === 'P')).toMatchObject({ role: 'reader', invitedBy: 'F' })
    expect(await admitPeer('P', inv)).toMatchObject({ ok: true }) // already a member: no second use
    expect(await admitPeer('Q', inv)).toMatchObject({ ok: false, reason: 'spent' })
  })

  it('expired, tampered, foreign and malformed tokens are refused with their reason', async () => {
    const now = { t: 1_700_000_000_000 }
    const { ops, admitPeer } = founder(now)
    const inv = inviteFromText(ops.invite({ ttlMs: 1000 }).token)
    now.t += 2000
    expect(await admitPeer('P', inv)).toMatchObject({ ok: false, reason: 'expired' })
    const other: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(2) }
    const foreign = signInvite({ ...inv.token, federation: federationIdOf(other), genesis: other, expiresMs: now.t + 1e6 }, fakeSigner('F'), inv.secret)
    expect(await admitPeer('P', foreign)).toMatchObject({ ok: false, reason: 'wrong-federation' })
    const forged = signInvite({ ...inv.token, expiresMs: now.t + 1e6 }, fakeSigner('Mallory'), inv.secret)
    expect(await admitPeer('P', forged)).toMatchObject({ ok: false, reason: 'bad-signature' })
    expect(await admitPeer('P', new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false, reason: 'malformed' })
  })

  it('a token whose inviter lost admin is refused; a revoked peer cannot rejoin; only admins invite and revoke', async () => {
    const now = { t: 1_700_000_000_000 }
    const { replica, ops, admitPeer } = founder(now)
    const adminToken = inviteFromText(ops.invite({ role: 'admin', uses: 2 }).token)
    expect(await admitPeer('A2', adminToken)).toMatchObject({ ok: true })
    // A2 (admin) issues a token; F revokes A2; A2's token no longer admits.
    const byA2 = signInvite({ ...adminToken.token, inviter: 'A2', role: 'writer', nonce: new Uint8Array(16).fill(7) }, fakeSigner('A2'), adminToken.secret)
    now.t += 10
    await ops.revoke('A2')
    now.t += 10
    expect(await admitPeer('P', byA2)).toMatchObject({ ok: false, reason: 'not-admin' })
    expect(await admitPeer('A2', adminToken)).toMatchObject({ ok: false, reason: 'revoked' })
    expect(ops.members().find(m => m.peerId === 'A2')).toMatchObject({ role: null, revoked: true, invitedBy: 'F', suspended: null, lastValidSeq: 0 })
    await expect(ops.revoke('nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(ops.revoke('F')).rejects.toMatchObject({ code: 'USAGE' })
    expect(() => ops.invite({ uses: 0 })).toThrow(expect.objectContaining({ code: 'USAGE' }))

    // A node that is not an admin (here: not a member at all) cannot invite.
    const writerReplica = new Replica({ id: 'W', genesis }, {
      clock: { nowMs: () => now.t, monoMs: () => now.t }, random: { float: () => 0.5, int: () => 0 }, signer: fakeSigner('W'), verifier: fakeVerifier, send: () => {}, persist: () => {}
    })
    const wOps = new FederationOps({ selfId: 'W', members: () => writerReplica.members(), signer: fakeSigner('W'), nowMs: () => now.t, listenAddrs: () => ['/ip4/1.2.3.4/tcp/1'], writeDurably: async b => writerReplica.write(b), keys })
    expect(wOps.role()).toBeNull()
    expect(() => wOps.invite()).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }))
    expect(replica.members()?.members().sort()).toEqual(['F'])
  })
})

describe('claims: the token\'s secret never travels', () => {
  it('a claim for another peer, a claim copied from a grant, or a token read from the log admits nobody', async () => {
    const now = { t: 1_700_000_000_000 }
    const { replica, ops, admitPeer } = founder(now)
    const inv = inviteFromText(ops.invite({ role: 'admin', uses: 3 }).token)
    // The holder's claim names J; presented by anyone else it is refused.
    const forJ = makeClaim(inv, 'J', keys)
    expect(await admitPeer('Mallory', inv, forJ)).toMatchObject({ ok: false, reason: 'bad-claim' })
    expect(await admitPeer('J', inv, forJ)).toMatchObject({ ok: true })
    // What the log shows: the grant's token (no secret) and J's claim.
    const grant = replica.members()?.list().find(e => e.peer === 'J')
    expect(grant).toMatchObject({ role: 'admin' })
    const fromLog = decodeInvite(inv.bytes)
    expect(fromLog.secret).toBeUndefined()
    expect(() => makeClaim(fromLog, 'Mallory', keys)).toThrow(/no secret/)
    expect(await admitPeer('Mallory', fromLog.bytes, forJ)).toMatchObject({ ok: false, reason: 'bad-claim' })
    expect(replica.members()?.roleNow('Mallory')).toBeUndefined()
  })
})

describe('FederationGate', () => {
  it('allows members and the bootstrap member, refuses strangers and the revoked; strikes only hostile refusals; revalidates on membership change', async () => {
    const now = { t: 1_700_000_000_000 }
    const { replica, ops, admitPeer } = founder(now)
    const gate = new FederationGate({ members: () => replica.members(), log: silent })
    const revalidations: number[] = []
    const strikes: string[] = []
    gate.attach({ revalidate: () => { revalidations.push(1) }, strike: peer => { strikes.push(peer) } })
    expect(gate.isAllowed('F')).toBe(true)
    expect(gate.isAllowed('P')).toBe(false)
    gate.trustBootstrap('B')
    expect(gate.isAllowed('B')).toBe(true)

    const grant = await admitPeer('P', inviteFromText(ops.invite().token))
    expect(grant.ok).toBe(true)
    // What the daemon's observer passes on: any member event schedules one revalidation.
    gate.noteEvent(signEvent({ v: 1, author: 'F', seq: 50, stamp: 1n, body: { kind: 'member', key: `mycel:member/P/${'0'.repeat(32)}`, peer: 'P', role: 'writer', seen: [] } }, fakeSigner('F')))
    expect(await gate.until(() => revalidations.length > 0, 1000)).toBe(true)
    expect(gate.isAllowed('P')).toBe(true)
    await ops.revoke('P')
    expect(gate.isAllowed('P')).toBe(false)

    const ev = signEvent({ v: 1, author: 'F', seq: 99, stamp: 1n, body: { kind: 'delete', key: 'k' } }, fakeSigner('X'))
    gate.rejected(ev, 'S1', 'bad signature')
    gate.rejected(ev, 'S2', 'W is a reader; put needs writer')
    gate.rejected(ev, 'S3', 'invite token: expired')
    expect(strikes).toEqual(['S1', 'S3'])
  })
})
