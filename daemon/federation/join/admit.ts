// A member's verdict on a join request (the /mycel/join/2.0.0 server calls
// this). The token must prove itself (signature, federation, expiry against
// this member's clock), the claim must be the token's one-time key signing for
// this very peer (the one the connection proved), its inviter must be an admin
// now, and uses must be left as far as this member knows; then the member
// writes the grant — a `member` event carrying the token's public part and the
// claim — and answers only once it is durable.
// The core judges the same grant again (membership.ts), and every other member
// will too when it arrives: a token spent at two members at once admits one
// peer everywhere, whatever this answer said.

import { MycelError, isMycelError } from '../../../protocol/errors.js'
import { memberKey, type Role } from '../../../protocol/event.js'
import { checkClaim, checkInvite, decodeInvite, hexOf, type SignedInvite } from '../../../protocol/invite.js'
import { ROLE_RANK, type Membership } from '../../../protocol/membership.js'
import type { Verifier } from '../../../protocol/ports.js'
import type { ReplicaApi } from '../../../protocol/replica-api.js'
import type { JoinAnswer, JoinRefusal, JoinRequest } from './wire.js'

export interface AdmitComponents {
  replica: Pick<ReplicaApi, 'id' | 'write' | 'lastBatchNumber'> & { members: () => Membership | undefined }
  verifier: Verifier
  nowMs: () => number
  /** Resolves once persist batch n is durable; rejects on timeout or store failure. */
  whenDurable: (n: number) => Promise<void>
  /** 16 random bytes naming the grant. */
  nonce: () => Uint8Array
  /** The member holding a site name, if any (site-directory.ts). */
  nameHolder?: (name: string) => string | undefined
}

const refuse = (reason: JoinRefusal, message: string): JoinAnswer => ({ ok: false, reason, message })

export async function admit (c: AdmitComponents, peer: string, request: JoinRequest): Promise<JoinAnswer> {
  const m = c.replica.members()
  if (m === undefined) return refuse('internal', 'this node runs no federation')
  let inv: SignedInvite
  try {
    inv = decodeInvite(request.invite)
  } catch (err) {
    return refuse('malformed', `the token does not decode: ${(err as Error).message}`)
  }
  const nowMs = c.nowMs()
  const problem = checkInvite(inv, c.verifier, { federation: m.federation, nowMs })
  if (problem !== undefined) return refuse(problem, describe(problem, inv, m.federation))
  if (!checkClaim(inv, peer, request.claim, c.verifier)) return refuse('bad-claim', `the claim is not the token's key signing for ${peer} (a token read from the log, or for another peer)`)
  const holder = request.name === undefined ? undefined : c.nameHolder?.(request.name)
  if (holder !== undefined && holder !== peer) return refuse('name-taken', `the site name '${request.name as string}' is taken by member ${holder}; start the new site with another --name`)
  const cut = m.cutOf(peer)
  if (cut !== undefined) return refuse('revoked', `${peer} was ${cut.kind === 'fault' ? 'suspended' : 'revoked'} from this federation`)
  const held = m.roleNow(peer)
  if (held !== undefined && ROLE_RANK[held] >= ROLE_RANK[inv.token.role]) return { ok: true, genesis: m.genesis }
  if (m.roleNow(c.replica.id) === undefined) return refuse('not-member', 'this node is not (yet) a member itself')
  if (m.roleNow(inv.token.inviter) !== 'admin') return refuse('not-admin', `the token's inviter ${inv.token.inviter} is not an admin`)
  const nonceHex = hexOf(inv.token.nonce)
  if (m.usesOf(nonceHex) >= inv.token.uses) return refuse('spent', `the token was already used ${m.usesOf(nonceHex)} of ${inv.token.uses} time(s)`)
  const role: Role = inv.token.role
  try {
    c.replica.write({ kind: 'member', key: memberKey(peer, hexOf(c.nonce())), peer, role, invite: inv.bytes, claim: request.claim })
  } catch (err) {
    if (!isMycelError(err, 'PERMISSION_DENIED')) throw err
    return refuse(/spent/.test(err.message) ? 'spent' : /admin|inviter/.test(err.message) ? 'not-admin' : /claim/.test(err.message) ? 'bad-claim' : 'not-member', err.message)
  }
  const n = c.replica.lastBatchNumber()
  try {
    await c.whenDurable(n)
  } catch (err) {
    throw new MycelError('INTERNAL', 'the grant was not made durable', { cause: err })
  }
  return { ok: true, genesis: m.genesis }
}

function describe (problem: 'bad-signature' | 'wrong-federation' | 'expired', inv: SignedInvite, federation: string): string {
  switch (problem) {
    case 'bad-signature': return `the token is not signed by its inviter ${inv.token.inviter} (tampered?)`
    case 'wrong-federation': return `the token is for federation ${inv.token.federation}; this member belongs to ${federation}`
    case 'expired': return `the token expired at ${new Date(inv.token.expiresMs).toISOString()}`
  }
}
