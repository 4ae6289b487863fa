// The daemon's wiring of the join protocol, both sides: a member serves
// /mycel/join/1.0.0 (admission in admit.ts), and a joiner, once
// admitted, trusts the member that admitted it, dials its inviter and waits
// (bounded) for its own grant to replicate to it, so that its first publish
// is not refused.

import { randomBytes } from 'node:crypto'
import { federationIdOf, type SignedInvite } from '../../../protocol/invite.js'
import type { ReplicaApi } from '../../../protocol/replica-api.js'
import type { Membership } from '../../../protocol/membership.js'
import { admit } from './admit.js'
import type { Settled } from '../settle.js'
import type { FederationGate } from '../gate.js'
import type { Logger } from '../../log.js'
import type { Host } from '../../net/host.js'
import type { Mesh } from '../../net/mesh.js'
import { ed25519Verifier } from '../../signing.js'
import type { JoinReply } from './client.js'
import { presentToken } from './joiner.js'
import { JoinServer } from './server.js'

/** How long a newly admitted joiner waits for its grant to replicate to it before it reports ready anyway. */
export const JOIN_GRANT_WAIT_MS = 15_000

export interface JoinServerParts {
  replica: ReplicaApi & { members: () => Membership | undefined }
  whenDurable: (n: number) => Promise<void>
  /** The member holding a site name, if any (site-directory.ts): a joiner may not take it. */
  nameHolder?: (name: string) => string | undefined
}

/** The /mycel/join/2.0.0 server on the daemon's libp2p node (started with the other parts). */
export function joinServer (host: Host, mesh: Pick<Mesh, 'strike' | 'invited'>, parts: JoinServerParts, log: Logger): JoinServer {
  const verifier = ed25519Verifier()
  return new JoinServer({}, {
    host,
    strike: (peer, why) => { mesh.strike(peer, why) },
    log,
    admit: async (peer, invite) => {
      const answer = await admit({
        replica: parts.replica,
        verifier,
        nowMs: () => Date.now(),
        whenDurable: parts.whenDurable,
        nonce: () => new Uint8Array(randomBytes(16)),
        ...(parts.nameHolder === undefined ? {} : { nameHolder: parts.nameHolder })
      }, peer, invite)
      // Its first session must reach us even if we are full: we are all it knows (mesh.ts invited).
      if (answer.ok) mesh.invited(peer)
      return answer
    }
  })
}

export interface JoinParts {
  /** The site name we will take (the member refuses one held by another member). */
  name?: string
  host: Host
  mesh: Mesh
  gate: FederationGate
  store: { setGenesis: (g: Settled['genesis'], id: string) => Promise<void> }
  log: Logger
}

/**
 * A joiner not yet admitted presents its token (join protocol) and stores the
 * genesis once admitted; `admitted` skips that when it already happened
 * (`mycel join` on a running node). A node admitted earlier (restarted with
 * the same --join) only remembers and dials the inviter.
 */
export async function joinVia (p: JoinParts, invite: SignedInvite, federation: Settled, via: string[] | undefined, admitted?: JoinReply): Promise<void> {
  const { mesh, gate, log } = p
  let reply = admitted
  if (reply === undefined && federation.pending) {
    reply = await presentToken(p.host, invite, p.host.peerId, via, p.name, log)
    await p.store.setGenesis(federation.genesis, federationIdOf(federation.genesis))
  }
  if (reply === undefined) {
    await dialInviter(mesh, invite, log)
    return
  }
  gate.trustBootstrap(reply.member)
  if (reply.member !== invite.token.inviter) gate.trustBootstrap(invite.token.inviter)
  log.info('admitted to the federation', { member: reply.member, role: invite.token.role, federation: federation.id })
  mesh.addPeer(reply.member, [reply.addr.replace(/\/p2p\/[^/]+$/, '')])
  await dialInviter(mesh, invite, log)
  const self = mesh.peerId
  const members = gate.members
  if (!await gate.until(() => members()?.roleNow(self) !== undefined, JOIN_GRANT_WAIT_MS)) {
    log.warn('admitted, but our grant has not replicated here yet; publishing waits for it', { member: reply.member })
  }
}

/** Remembers the inviter and dials it once; if that fails the mesh keeps redialing with backoff. */
async function dialInviter (mesh: Mesh, invite: SignedInvite, log: Logger): Promise<void> {
  const inviter = invite.token.inviter
  mesh.addPeer(inviter, invite.token.addrs)
  for (const addr of invite.token.addrs) {
    try {
      await mesh.dial(`${addr}/p2p/${inviter}`)
      log.info('connected to inviter', { inviter, addr })
      return
    } catch (err) {
      log.warn('could not dial inviter address', { addr, err })
    }
  }
  log.warn('inviter unreachable for now; will keep trying', { inviter })
}
