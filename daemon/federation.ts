// Which federation this node belongs to. A founding node makes a random id; a
// joiner adopts the id from its invite token. Either way the id is stored (in
// the LevelDB store) before the node talks to anyone, and a node never
// silently switches federation: a token for another one is refused.

import { randomBytes } from 'node:crypto'
import { MycelError } from '../protocol/errors.js'
import type { InviteToken } from './invite-token.js'

export interface FederationStore {
  federation: () => Promise<string | undefined>
  setFederation: (id: string) => Promise<void>
}

/** 16 random bytes, hex: unguessable, and safe in file names, URLs and logs. */
export function newFederationId (): string {
  return randomBytes(16).toString('hex')
}

export async function settleFederation (store: FederationStore, invite: InviteToken | undefined): Promise<{ id: string, founded: boolean }> {
  const stored = await store.federation()
  if (invite !== undefined) {
    if (stored !== undefined && stored !== invite.federation) {
      throw MycelError.usage(`this node already belongs to federation ${stored}; the token is for ${invite.federation} (use an empty --dir to join another)`)
    }
    if (stored === undefined) await store.setFederation(invite.federation)
    return { id: invite.federation, founded: false }
  }
  if (stored !== undefined) return { id: stored, founded: false }
  const id = newFederationId()
  await store.setFederation(id)
  return { id, founded: true }
}
