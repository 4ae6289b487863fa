// Who holds which role at which stamp, derived from the federation's grant and
// revoke events (docs/federation.md). The derivation is a fold over those
// events in their total order (stamp, author, id): each event is judged
// against the roles established by the events before it. Every replica holding
// the same set of events therefore reaches the same verdicts, whatever order
// the events arrived in. Membership events are few; the fold is recomputed on
// each change.

import { decodeInvite, checkInvite, hexOf, type Genesis, federationIdOf } from './invite.js'
import type { Event, Role } from './event.js'
import { wallOf, type Stamp } from './hlc.js'
import type { Verifier } from './ports.js'
import { compareVersions } from './state.js'

export const ROLE_RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 }

export type Verdict = { ok: true } | { ok: false, final: boolean, reason: string }

interface Timeline {
  /** Valid grants, ascending by stamp. */
  grants: Array<{ stamp: Stamp, role: Role, by: string }>
  revokedAt?: Stamp
}

interface Fold {
  timelines: Map<string, Timeline>
  verdicts: Map<Event, Verdict>
  uses: Map<string, number>
}

const OK: Verdict = { ok: true }
const final = (reason: string): Verdict => ({ ok: false, final: true, reason })
const notYet = (reason: string): Verdict => ({ ok: false, final: false, reason })

export class Membership {
  readonly federation: string
  private readonly events = new Set<Event>()
  private fold: Fold

  constructor (readonly genesis: Genesis, private readonly verifier: Verifier) {
    this.federation = federationIdOf(genesis)
    this.fold = this.compute(this.events)
  }

  /** Would this event be valid (member/revoke: as part of the fold; others: by its author's role)? Pure. */
  authorize (e: Event): Verdict {
    switch (e.body.kind) {
      case 'member': case 'revoke': {
        if (this.events.has(e)) return this.fold.verdicts.get(e) ?? OK
        return this.compute(new Set([...this.events, e])).verdicts.get(e) ?? OK
      }
      case 'put': case 'delete': return this.need(e, 'writer')
      case 'addrs': return this.need(e, 'reader')
    }
  }

  /**
   * Adds an applied member/revoke event to the fold. Returns the peers whose
   * roles changed and the membership events that are no longer valid.
   */
  commit (e: Event): { changed: Set<string>, invalidated: Event[] } {
    this.events.add(e)
    return this.refold()
  }

  /** Removes a membership event (it was invalidated); same result shape as commit. */
  drop (e: Event): { changed: Set<string>, invalidated: Event[] } {
    this.events.delete(e)
    return this.refold()
  }

  roleAt (peer: string, stamp: Stamp): Role | undefined {
    return roleIn(this.fold.timelines, peer, stamp)
  }

  revokedAt (peer: string): Stamp | undefined {
    return this.fold.timelines.get(peer)?.revokedAt
  }

  /** Valid grants made with the token of this nonce. */
  usesOf (nonceHex: string): number {
    return this.fold.uses.get(nonceHex) ?? 0
  }

  /** Peers holding a role now (a valid grant, no revoke), the founder included. */
  members (): string[] {
    const out: string[] = []
    for (const [peer, t] of this.fold.timelines) if (t.revokedAt === undefined && t.grants.length > 0) out.push(peer)
    return out
  }

  /** Every peer with its current role, who granted it, and whether it was revoked. */
  list (): Array<{ peer: string, role?: Role, invitedBy?: string, since: Stamp, revokedAt?: Stamp }> {
    return [...this.fold.timelines].map(([peer, t]) => {
      const last = t.grants[t.grants.length - 1]
      return { peer, role: t.revokedAt === undefined ? last?.role : undefined, invitedBy: last?.by, since: t.grants[0]?.stamp ?? 0n, revokedAt: t.revokedAt }
    })
  }

  private need (e: Event, role: Role): Verdict {
    const held = this.roleAt(e.author, e.stamp)
    if (held === undefined) {
      const r = this.revokedAt(e.author)
      return r !== undefined && r <= e.stamp ? final(`${e.author} was revoked`) : notYet(`${e.author} is not a member at that stamp`)
    }
    if (ROLE_RANK[held] < ROLE_RANK[role]) return notYet(`${e.author} is a ${held}; ${e.body.kind} needs ${role}`)
    return OK
  }

  private refold (): { changed: Set<string>, invalidated: Event[] } {
    const before = this.fold
    this.fold = this.compute(this.events)
    const changed = new Set<string>()
    for (const peer of new Set([...before.timelines.keys(), ...this.fold.timelines.keys()])) {
      if (!sameTimeline(before.timelines.get(peer), this.fold.timelines.get(peer))) changed.add(peer)
    }
    const invalidated = [...this.events].filter(e => this.fold.verdicts.get(e)?.ok === false)
    return { changed, invalidated }
  }

  private compute (events: Set<Event>): Fold {
    const timelines = new Map<string, Timeline>([[this.genesis.founder, { grants: [{ stamp: 0n, role: 'admin', by: this.genesis.founder }] }]])
    const verdicts = new Map<Event, Verdict>()
    const uses = new Map<string, number>()
    for (const e of [...events].sort(compareVersions)) {
      const v = this.judge(e, timelines, uses)
      verdicts.set(e, v)
      if (!v.ok) continue
      const body = e.body
      if (body.kind === 'member') {
        timeline(timelines, body.peer).grants.push({ stamp: e.stamp, role: body.role, by: e.author })
      } else if (body.kind === 'revoke') {
        const t = timeline(timelines, body.peer)
        if (t.revokedAt === undefined || e.stamp < t.revokedAt) t.revokedAt = e.stamp
      }
    }
    return { timelines, verdicts, uses }
  }

  private judge (e: Event, timelines: Map<string, Timeline>, uses: Map<string, number>): Verdict {
    const body = e.body
    const authorRole = roleIn(timelines, e.author, e.stamp)
    if (body.kind === 'revoke') {
      return authorRole === 'admin' ? OK : notYet(`${e.author} is not an admin at that stamp`)
    }
    if (body.kind !== 'member') return OK
    if (body.invite === undefined) {
      return authorRole === 'admin' ? OK : notYet(`${e.author} is not an admin at that stamp`)
    }
    let inv
    try { inv = decodeInvite(body.invite) } catch { return final('malformed invite token') }
    const problem = checkInvite(inv, this.verifier, { federation: this.federation, nowMs: wallOf(e.stamp) })
    if (problem !== undefined) return final(`invite token: ${problem}`)
    if (inv.token.role !== body.role) return final('grant role differs from its token')
    if (authorRole === undefined) return notYet(`${e.author} is not a member at that stamp`)
    if (roleIn(timelines, inv.token.inviter, e.stamp) !== 'admin') return notYet('the token\'s inviter is not an admin at that stamp')
    const nonce = hexOf(inv.token.nonce)
    const used = uses.get(nonce) ?? 0
    if (used >= inv.token.uses) return notYet('invite token already spent')
    uses.set(nonce, used + 1)
    return OK
  }
}

function timeline (timelines: Map<string, Timeline>, peer: string): Timeline {
  let t = timelines.get(peer)
  if (t === undefined) { t = { grants: [] }; timelines.set(peer, t) }
  return t
}

function roleIn (timelines: Map<string, Timeline>, peer: string, stamp: Stamp): Role | undefined {
  const t = timelines.get(peer)
  if (t === undefined) return undefined
  if (t.revokedAt !== undefined && t.revokedAt <= stamp) return undefined
  let role: Role | undefined
  for (const g of t.grants) {
    if (g.stamp > stamp) break
    role = g.role
  }
  return role
}

function sameTimeline (a: Timeline | undefined, b: Timeline | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.revokedAt !== b.revokedAt || a.grants.length !== b.grants.length) return false
  return a.grants.every((g, i) => g.stamp === b.grants[i].stamp && g.role === b.grants[i].role)
}
