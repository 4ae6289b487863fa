// The federation operations behind the local API: invite (sign a token),
// members (the membership view as plain data), revoke, and this node's role.
// Only admins invite and revoke; the core enforces it again on the write, and
// every other member enforces it when the event arrives.

import { randomBytes } from 'node:crypto'
import { MycelError } from '../../protocol/errors.js'
import { revokeKey, type Event, type NewEventBody, type Role } from '../../protocol/event.js'
import { formatStamp } from '../../protocol/hlc.js'
import { hexOf, inviteToText, signInvite } from '../../protocol/invite.js'
import { MAX_ADDR_BYTES, MAX_ADDRS } from '../../protocol/limits.js'
import { MAX_INVITE_TTL_MS } from '../limits.js'
import type { Membership } from '../../protocol/membership.js'
import type { KeyMaker, Signer } from '../../protocol/ports.js'

export interface InviteRequest {
  role?: Role
  ttlMs?: number
  uses?: number
}

export interface InviteResult {
  /** `mycel2…`: pass to `mycel daemon --join` or `mycel join`. */
  token: string
  federation: string
  inviter: string
  role: Role
  expiresAt: string
  uses: number
}

export interface MemberInfo {
  peerId: string
  /** Current role; null once revoked. */
  role: Role | null
  /** Who wrote the latest grant (the founder for itself). */
  invitedBy: string | null
  /** HLC stamp of the first grant, `<wall ms>.<logical>`. */
  since: string
  revoked: boolean
  /**
   * Set when a signed contradiction of this member was proven (docs/federation.md,
   * fault proofs): its events from `fromSeq` on are void everywhere; role is null.
   */
  suspended: { fromSeq: number } | null
  /** When revoked or suspended: the last of its events that still counts. */
  lastValidSeq: number | null
  /** Its site name (federation/site-directory.ts), when it named itself; null otherwise. */
  name: string | null
  /** The site groups it announced (`daemon --group`); [] if none. */
  groups: string[]
}

export interface RevokeResult {
  peerId: string
  stamp: string
}

/** Defaults of `mycel invite`: the least privilege (a reader: fetch only), valid one day, for one node. */
export const INVITE_DEFAULTS = { role: 'reader' as Role, ttlMs: 24 * 60 * 60_000, uses: 1 }
/** Longest token life: a year; a longer-lived bearer secret is a standing risk. */
export const MAX_INVITE_USES = 1_000_000

export interface FederationOpsComponents {
  selfId: string
  members: () => Membership | undefined
  signer: Signer
  nowMs: () => number
  listenAddrs: () => string[]
  /** Writes through the core and resolves once durable. */
  writeDurably: (body: NewEventBody) => Promise<Event>
  /** Makes the one-time key of each token (invite-keys.ts). */
  keys: KeyMaker
  /** Members' site names. */
  nameOf?: (peerId: string) => string | undefined
  /** A member's site groups (federation/site-directory.ts). */
  groupsOf?: (peerId: string) => string[]
}

export class FederationOps {
  private readonly c: FederationOpsComponents

  constructor (components: FederationOpsComponents) {
    this.c = components
  }

  role (): Role | null {
    return this.membership().roleNow(this.c.selfId) ?? null
  }

  invite (req: InviteRequest = {}): InviteResult {
    const m = this.membership()
    const role = req.role ?? INVITE_DEFAULTS.role
    const ttlMs = req.ttlMs ?? INVITE_DEFAULTS.ttlMs
    const uses = req.uses ?? INVITE_DEFAULTS.uses
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_INVITE_TTL_MS) throw MycelError.usage(`ttl must be between 1 ms and ${MAX_INVITE_TTL_MS} ms`)
    if (!Number.isSafeInteger(uses) || uses < 1 || uses > MAX_INVITE_USES) throw MycelError.usage(`uses must be between 1 and ${MAX_INVITE_USES}`)
    this.needAdmin('invite')
    const addrs = this.c.listenAddrs()
      .map(a => a.replace(/\/p2p\/[^/]+$/, ''))
      .filter(a => Buffer.byteLength(a) <= MAX_ADDR_BYTES)
      .slice(0, MAX_ADDRS)
    if (addrs.length === 0) throw new MycelError('UNAVAILABLE', 'this node listens on no address a peer could dial')
    const expiresMs = this.c.nowMs() + ttlMs
    const key = this.c.keys.generate()
    const signed = signInvite({
      v: 2,
      federation: m.federation,
      genesis: m.genesis,
      inviter: this.c.selfId,
      addrs,
      role,
      expiresMs,
      uses,
      nonce: new Uint8Array(randomBytes(16)),
      key: key.id
    }, this.c.signer, key.secret)
    return { token: inviteToText(signed), federation: m.federation, inviter: this.c.selfId, role, expiresAt: new Date(expiresMs).toISOString(), uses }
  }

  members (): MemberInfo[] {
    return this.membership().list().map(e => ({
      peerId: e.peer,
      role: e.role ?? null,
      invitedBy: e.invitedBy ?? null,
      since: formatStamp(e.since),
      revoked: e.cut?.kind === 'revoke',
      suspended: e.cut?.kind === 'fault' ? { fromSeq: e.cut.seq + 1 } : null,
      lastValidSeq: e.cut?.seq ?? null,
      name: this.c.nameOf?.(e.peer) ?? null,
      groups: this.c.groupsOf?.(e.peer) ?? []
    })).sort((a, b) => a.since < b.since ? -1 : a.since > b.since ? 1 : 0)
  }

  async revoke (peer: string): Promise<RevokeResult> {
    const m = this.membership()
    this.needAdmin('revoke')
    if (peer === this.c.selfId) throw MycelError.usage('a node cannot revoke itself; ask another admin')
    const entry = m.list().find(e => e.peer === peer)
    if (entry === undefined) throw new MycelError('NOT_FOUND', `${peer} is not a member of this federation`)
    if (entry.cut?.kind === 'revoke') return { peerId: peer, stamp: formatStamp(entry.cut.stamp) }
    const event = await this.c.writeDurably({ kind: 'revoke', key: revokeKey(peer, hexOf(new Uint8Array(randomBytes(16)))), peer })
    return { peerId: peer, stamp: formatStamp(event.stamp) }
  }

  private needAdmin (what: string): void {
    const role = this.role()
    if (role !== 'admin') throw new MycelError('PERMISSION_DENIED', `only an admin may ${what}; this node is ${role === null ? 'not a member' : `a ${role}`}`)
  }

  private membership (): Membership {
    const m = this.c.members()
    if (m === undefined) throw new MycelError('INTERNAL', 'this node runs no federation')
    return m
  }
}
