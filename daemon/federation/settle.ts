// Which federation this node belongs to. A founding node draws a 16-byte nonce;
// its genesis {founder: own peer id, nonce} names the federation
// (`federationIdOf`, `fed1…`) and makes the founder its first admin. A joiner
// takes the genesis from its invite token, but stores it only once a member
// has admitted it (daemon/federation/join/), so a refused join leaves an empty node. A
// node never silently switches federation: a token for another one is refused.

import { randomBytes } from 'node:crypto'
import { MycelError } from '../../protocol/errors.js'
import { federationIdOf, type Genesis, type SignedInvite } from '../../protocol/invite.js'

export interface GenesisStore {
  genesis: () => Promise<Genesis | undefined>
  setGenesis: (genesis: Genesis, federation: string) => Promise<void>
}

export interface Settled {
  genesis: Genesis
  id: string
  /** This start founded the federation. */
  founded: boolean
  /** A joiner not yet admitted: run the join protocol, then `adopt()`. */
  pending: boolean
}

/** Length of the founding nonce: 128 bits make two founders' ids collide never in practice. */
export const GENESIS_NONCE_BYTES = 16

export async function settleFederation (store: GenesisStore, self: string, invite: SignedInvite | undefined): Promise<Settled> {
  const stored = await store.genesis()
  if (stored !== undefined) {
    const id = federationIdOf(stored)
    if (invite !== undefined && invite.token.federation !== id) {
      throw MycelError.usage(`this node already belongs to federation ${id}; the token is for ${invite.token.federation} (use an empty --dir to join another)`)
    }
    return { genesis: stored, id, founded: false, pending: false }
  }
  if (invite !== undefined) {
    return { genesis: invite.token.genesis, id: invite.token.federation, founded: false, pending: true }
  }
  const genesis: Genesis = { founder: self, nonce: new Uint8Array(randomBytes(GENESIS_NONCE_BYTES)) }
  const id = federationIdOf(genesis)
  await store.setGenesis(genesis, id)
  return { genesis, id, founded: true, pending: false }
}
