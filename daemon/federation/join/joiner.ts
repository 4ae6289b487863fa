// The joiner's flow for `mycel daemon --join TOKEN`: parse the token (a
// malformed one is a USAGE error, exit 2), check what it proves by itself
// (signature, genesis, expiry — PERMISSION_DENIED, exit 5, naming the reason),
// then ask a member to admit us over /mycel/join/1.0.0. A refusal is final
// and PERMISSION_DENIED too; no member reachable is UNAVAILABLE (exit 4).

import { isMycelError, MycelError } from '../../../protocol/errors.js'
import { checkInvite, inviteFromText, makeClaim, type SignedInvite } from '../../../protocol/invite.js'
import type { Verifier } from '../../../protocol/ports.js'
import { ed25519InviteKeys } from '../invite-keys.js'
import type { Logger } from '../../log.js'
import { requestJoin, type JoinDialer, type JoinReply } from './client.js'

export function parseJoinToken (text: string): SignedInvite {
  try {
    return inviteFromText(text, ed25519InviteKeys)
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err)
    throw new MycelError('USAGE', `invalid invite token: ${why}`, { cause: err, details: { reason: 'malformed' } })
  }
}

/** What the token proves by itself, checked before dialing anyone. */
export function precheckToken (inv: SignedInvite, verifier: Verifier, nowMs: number): void {
  const problem = checkInvite(inv, verifier, { nowMs })
  if (problem === undefined) return
  const text = {
    'bad-signature': 'the token is not signed by its inviter (tampered or corrupted)',
    'wrong-federation': 'the token\'s federation id does not match its genesis (tampered)',
    expired: `the token expired at ${new Date(inv.token.expiresMs).toISOString()}`
  }[problem]
  throw new MycelError('PERMISSION_DENIED', `join refused: ${problem}: ${text}`, { details: { reason: problem } })
}

/** Where to present the token: extra members given with --via first, then the inviter's addresses. */
export function joinTargets (inv: SignedInvite, via: string[] = []): string[] {
  return [...via, ...inv.token.addrs.map(a => `${a}/p2p/${inv.token.inviter}`)]
}

/** Presents the token's public part and our claim (the secret stays here), for `self` — our peer id. */
export async function presentToken (dialer: JoinDialer, inv: SignedInvite, self: string, via: string[] = [], name?: string, log?: Logger): Promise<JoinReply> {
  let reply: JoinReply
  try {
    reply = await requestJoin(dialer, {
      targets: joinTargets(inv, via),
      request: { invite: inv.bytes, claim: makeClaim(inv, self, ed25519InviteKeys), ...(name === undefined ? {} : { name }) },
      onRetry: ({ pass, of, inMs, failures }) => { log?.warn('join: no member answered; trying again', { pass, of, inMs, failures }) }
    })
  } catch (err) {
    if (isMycelError(err)) throw err
    throw new MycelError('UNAVAILABLE', `join failed: ${String(err)}`, { cause: err })
  }
  const a = reply.answer
  if (!a.ok) {
    throw new MycelError('PERMISSION_DENIED', `join refused by ${reply.member}: ${a.reason}: ${a.message}`, { details: { reason: a.reason, member: reply.member } })
  }
  return reply
}
