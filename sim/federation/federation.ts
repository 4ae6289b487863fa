// The simulated federation: a genesis founded by n0, the initial members'
// grants (written by n0 before the run, so every node starts from the same
// durable image, as sites that joined before the run began), tokens and
// claims for nodes that join during the run, and revocations. It also keeps
// the ground truth the role checker holds the final state against: who was
// legitimately admitted with which role, and where each revocation cut.

import { signEvent } from '../../protocol/codec.js'
import { memberKey, type Event, type Role } from '../../protocol/event.js'
import { makeStamp, type Stamp } from '../../protocol/hlc.js'
import { federationIdOf, hexOf, makeClaim, signInvite, type Genesis } from '../../protocol/invite.js'
import type { ReplicaSnapshot } from '../../protocol/replica-api.js'
import { EPOCH_MS } from '../limits.js'
import { Prng } from '../prng.js'
import { SimCrypto } from './crypto.js'

/** The initial members' roles: n0 (the founder) and n1 admins, every fifth node from n3 a reader, the rest writers. */
export function initialRole (index: number): Role {
  if (index <= 1) return 'admin'
  return index % 5 === 3 ? 'reader' : 'writer'
}

/** A legitimately admitted member: its intended role. */
export interface Admission { role: Role, initial: boolean }

export class SimFederation {
  readonly genesis: Genesis
  readonly federation: string
  readonly crypto: SimCrypto
  /** Every member the run admitted on purpose (founder, initial members, joiners), with its role. */
  readonly admitted = new Map<string, Admission>()
  /** What a fresh node of the initial membership starts from: n0's grants. */
  readonly image: ReplicaSnapshot
  private readonly random: Prng
  private tokens = 0

  constructor (seed: number, nodes: number, roleOf: (index: number) => Role) {
    this.random = Prng.derive(seed, 'federation')
    this.crypto = new SimCrypto(Prng.derive(seed, 'federation:keys'))
    const nonce = new Uint8Array(16)
    for (let i = 0; i < 16; i++) nonce[i] = this.random.int(256)
    this.genesis = { founder: 'n0', nonce }
    this.federation = federationIdOf(this.genesis)
    this.admitted.set('n0', { role: 'admin', initial: true })
    const founder = this.crypto.signerFor('n0')
    const grants: Event[] = []
    // Stamped before the run's epoch: the membership predates every write.
    const base = EPOCH_MS - 60_000
    let stamp: Stamp = 0n
    for (let i = 1; i < nodes; i++) {
      const peer = `n${i}`
      const role = roleOf(i)
      stamp = makeStamp(base, i)
      grants.push(signEvent({ v: 1, author: 'n0', seq: i, stamp, body: { kind: 'member', key: memberKey(peer, hexOf(this.nonce())), peer, role, seen: [] } }, founder))
      this.admitted.set(peer, { role, initial: true })
    }
    this.image = { events: grants, vv: grants.length === 0 ? [] : [['n0', grants.length]], highWater: stamp }
  }

  /**
   * A token from `inviter` (an admin, by its own signer) and the joiner's
   * claim: what the joiner presents to a member, which writes the grant.
   */
  invite (inviter: string, joiner: string, nowWallMs: number, role: Role = 'writer'): { invite: Uint8Array, claim: Uint8Array } {
    const k = this.crypto.keys.generate()
    const nonce = this.nonce()
    const inv = signInvite({
      v: 2,
      federation: this.federation,
      genesis: this.genesis,
      inviter,
      addrs: ['/sim'],
      role,
      expiresMs: nowWallMs + 3_600_000,
      uses: 1,
      nonce,
      key: k.id
    }, this.crypto.signerFor(inviter), k.secret)
    this.tokens++
    return { invite: inv.bytes, claim: makeClaim(inv, joiner, this.crypto.keys) }
  }

  /** A grant key for `peer`, unique. */
  grantKey (peer: string): string {
    return memberKey(peer, hexOf(this.nonce()))
  }

  private nonce (): Uint8Array {
    const n = new Uint8Array(16)
    for (let i = 0; i < 16; i++) n[i] = this.random.int(256)
    return n
  }
}
