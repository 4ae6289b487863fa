// Who holds which role for which of its events, derived from the federation's
// grant, revoke and fault events (docs/federation.md, "Threat model"). Every
// replica holding the same set of these events reaches the same verdicts,
// whatever order they arrived in: the fold below is a function of the set.
//
// The rules, each with the attack it stops:
// - Authority is judged by what an author had *seen* (its `seen` view, a
//   version vector over members), never by the stamp it chose. A grant for P
//   gives P its role for P's events after `seen[P]`; a revoke voids P's events
//   after `seen[P]`. A revoked member's write stamped before its revocation,
//   relayed by someone else, is void all the same (backdating buys nothing).
// - A grant made with a token must carry the joiner's claim: the token's
//   one-time key signing (federation, nonce, joiner). The log holds the token's
//   public part only, so a member who reads a grant cannot admit anyone else
//   (a reader once copied an admin token out of a grant and made itself admin).
// - A token's uses go to the grants no member had seen when it wrote its own
//   first (causal depth), then by the claim's hash: decided by the joiners'
//   claims, which no relaying member can choose or backdate.
// - A token is void once its inviter is revoked, for every grant the revoker
//   had not seen; and once its inviter stops being an admin.
// - Revokes that void each other (each written beyond the other's view) all
//   stand: a revoked admin that lies about what it had seen can at most take
//   its revoker down with it, never survive its own revocation.
// - A fault proof (faults.ts) suspends its member from the fault's seq on (or
//   from past its author's view of the member, if that is lower: what still
//   counts is what an honest member had, so everyone can reach it). It
//   is true by its content, so it counts whoever relayed it — even a member
//   revoked since (only someone ever granted may write one, to bound spam):
//   otherwise a proof written just before its author's revocation would hold
//   at the members that saw it first and not at the others.
//
// The fold: membership events are put in a causal order (an event after
// everything its view covers; concurrent ones by (stamp, author, id)) and
// judged in one pass against the grants before them; then revokes are settled
// among themselves and token uses counted; cuts and spent grants found there
// feed the next pass until nothing changes (both only grow, so it ends).

import { checkClaim, checkInvite, decodeInvite, federationIdOf, hexOf, type Genesis, type SignedInvite } from './invite.js'
import { isMembershipEvent, type Event, type MemberBody, type Role, type SeenEntries } from './event.js'
import { checkFault } from './faults.js'
import { wallOf, type Stamp } from './hlc.js'
import { MAX_SEEN_ENTRIES } from './limits.js'
import type { Verifier } from './ports.js'
import { sha256 } from './sha256.js'
import { compareVersions } from './state.js'
import { settleRevokes } from './revoke-conflicts.js'

export const ROLE_RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 }

/**
 * A refusal is `final` when nothing that can still arrive changes it; `cut`
 * when it is final because its author's events stop before it (revoked or
 * suspended) — the only refusal a replica may count as seen: any other says
 * nothing about the author's real event at that seq, so counting it would let
 * a member hide its real event behind a bad one (an equivocation no proof shows).
 */
export type Verdict = { ok: true } | { ok: false, final: boolean, reason: string, cut?: true }

/** A valid grant: `peer` holds `role` for its events after `after`. */
interface Grant { role: Role, after: number, by: string, stamp: Stamp }

/** Where a member's events stop counting: after `seq`. */
export interface Cut { seq: number, kind: 'revoke' | 'fault', stamp: Stamp }

interface Fold {
  verdicts: Map<Event, Verdict>
  /** Valid grants per peer, in fold order. */
  grants: Map<string, Grant[]>
  cuts: Map<string, Cut>
  uses: Map<string, number>
}

const OK: Verdict = { ok: true }
const final = (reason: string): Verdict => ({ ok: false, final: true, reason })
const beyondCut = (author: string, seq: number, cut: Cut): Verdict => ({ ok: false, final: true, cut: true, reason: `${author} was ${cut.kind === 'fault' ? 'suspended' : 'revoked'} before its event ${seq}` })
const notYet = (reason: string): Verdict => ({ ok: false, final: false, reason })
/** Passes of the fold before it settles; each adds a cut or a spent grant, so this is never reached honestly. */
const MAX_PASSES = 64

/** What a token grant proves by itself, independent of the fold (cached per event). */
type TokenCheck = { ok: true, inv: SignedInvite, claimHash: string } | { ok: false, reason: string }

export class Membership {
  readonly federation: string
  private readonly events = new Set<Event>()
  private fold: Fold
  private readonly tokenChecks = new WeakMap<Event, TokenCheck>()
  private readonly faultChecks = new WeakMap<Event, ReturnType<typeof checkFault>>()
  private readonly views = new WeakMap<Event, Map<string, number>>()

  constructor (readonly genesis: Genesis, private readonly verifier: Verifier) {
    this.federation = federationIdOf(genesis)
    this.fold = this.compute(this.events)
  }

  /** Would this event be valid (membership kinds: as part of the fold; others: by its author's role)? Pure. */
  authorize (e: Event): Verdict {
    switch (e.body.kind) {
      case 'member': case 'revoke': case 'fault': {
        if (this.events.has(e)) return this.fold.verdicts.get(e) ?? OK
        return this.compute(new Set([...this.events, e])).verdicts.get(e) ?? OK
      }
      case 'put': case 'delete': return this.need(e, 'writer')
      case 'addrs': case 'site': return this.need(e, 'reader')
      case 'rules': return this.need(e, 'admin')
    }
  }

  /** Adds an applied membership event to the fold. Returns the peers whose roles changed and the events no longer valid. */
  commit (e: Event): { changed: Set<string>, invalidated: Event[] } {
    this.events.add(e)
    return this.refold()
  }

  /** Adds membership events restored from disk, all at once (they were checked before they were stored). */
  commitAll (events: Event[]): void {
    for (const e of events) this.events.add(e)
    this.fold = this.compute(this.events)
  }

  /** Removes a membership event (it was invalidated); same result shape as commit. */
  drop (e: Event): { changed: Set<string>, invalidated: Event[] } {
    this.events.delete(e)
    return this.refold()
  }

  /** The role `peer` holds for its event number `seq`, or undefined. */
  roleOf (peer: string, seq: number): Role | undefined {
    return roleIn(this.fold, peer, seq)
  }

  /** The role `peer` holds for its next events: what it may do now. */
  roleNow (peer: string): Role | undefined {
    return roleIn(this.fold, peer, Number.MAX_SAFE_INTEGER)
  }

  /** Where `peer`'s events stop counting (revoked or suspended), if they do. */
  cutOf (peer: string): Cut | undefined {
    return this.fold.cuts.get(peer)
  }

  /** Members revoked or suspended, with the last of their events that counts. */
  cuts (): Array<[string, number]> {
    return [...this.fold.cuts].map(([peer, cut]) => [peer, cut.seq])
  }

  /** Ever granted (a member now, or revoked or suspended since). */
  isKnown (peer: string): boolean {
    return this.fold.grants.has(peer) || this.fold.cuts.has(peer)
  }

  /** Valid grants made with the token of this nonce. */
  usesOf (nonceHex: string): number {
    return this.fold.uses.get(nonceHex) ?? 0
  }

  /** Peers holding a role now, the founder included. */
  members (): string[] {
    const out: string[] = []
    for (const peer of this.fold.grants.keys()) if (this.roleNow(peer) !== undefined) out.push(peer)
    return out
  }

  /** Every peer ever granted, with its current role, who granted it, and where it was cut. */
  list (): Array<{ peer: string, role?: Role, invitedBy?: string, since: Stamp, cut?: Cut }> {
    return [...this.fold.grants].map(([peer, grants]) => {
      const last = grants[grants.length - 1]
      return { peer, role: this.roleNow(peer), invitedBy: last?.by, since: grants[0]?.stamp ?? 0n, cut: this.fold.cuts.get(peer) }
    })
  }

  /**
   * The view a membership event written now carries: `coveredOf(member)` for
   * every member ever granted (and `target`), sorted, bounded. Members not in
   * it count as unseen (0), which only ever narrows what the event decides.
   */
  seenFor (coveredOf: (member: string) => number, target?: string): SeenEntries {
    const peers = new Set(this.fold.grants.keys())
    if (target !== undefined) peers.add(target)
    const entries: SeenEntries = [...peers].map(p => [p, coveredOf(p)] as [string, number]).filter(([, s]) => s > 0)
    entries.sort((a, b) => (a[0] < b[0] ? -1 : 1))
    if (entries.length <= MAX_SEEN_ENTRIES) return entries
    // Keep the target and the members with most events (their cuts matter most); drop the rest as unseen.
    const keep = new Set(entries.slice().sort((a, b) => b[1] - a[1]).slice(0, MAX_SEEN_ENTRIES - 1).map(([p]) => p))
    if (target !== undefined) keep.add(target)
    return entries.filter(([p]) => keep.has(p)).slice(0, MAX_SEEN_ENTRIES)
  }

  private need (e: Event, role: Role): Verdict {
    const cut = this.fold.cuts.get(e.author)
    if (cut !== undefined && e.seq > cut.seq) return beyondCut(e.author, e.seq, cut)
    const held = this.roleOf(e.author, e.seq)
    if (held === undefined) return notYet(`${e.author} is not a member for its event ${e.seq}`)
    if (ROLE_RANK[held] < ROLE_RANK[role]) return notYet(`${e.author} is a ${held}; ${e.body.kind} needs ${role}`)
    return OK
  }

  private refold (): { changed: Set<string>, invalidated: Event[] } {
    const before = this.fold
    this.fold = this.compute(this.events)
    const changed = new Set<string>()
    for (const peer of new Set([...before.grants.keys(), ...this.fold.grants.keys(), ...before.cuts.keys(), ...this.fold.cuts.keys()])) {
      if (!sameGrants(before.grants.get(peer), this.fold.grants.get(peer)) || before.cuts.get(peer)?.seq !== this.fold.cuts.get(peer)?.seq) changed.add(peer)
    }
    const invalidated = [...this.events].filter(e => this.fold.verdicts.get(e)?.ok === false)
    return { changed, invalidated }
  }

  private compute (events: Set<Event>): Fold {
    const order = this.causalOrder([...events].filter(isMembershipEvent))
    const cuts = new Map<string, Cut>()
    const spent = new Set<Event>()
    const revokesOf = new Map<string, Event[]>()
    let fold: Fold | undefined
    for (let pass = 0; pass < MAX_PASSES; pass++) {
      const r = this.pass(order, cuts, spent, revokesOf)
      fold = r.fold
      let grew = false
      for (const e of r.overUses) if (!spent.has(e)) { spent.add(e); grew = true }
      const accepted = settleRevokes(r.revokeCandidates, (e, peer) => this.seenOf(e, peer))
      for (const e of r.revokeCandidates) if (!accepted.has(e)) fold.verdicts.set(e, final(`${e.author} was revoked before this revoke`))
      for (const e of accepted) {
        const target = (e.body as { peer: string }).peer
        const list = revokesOf.get(target) ?? []
        if (!list.includes(e)) { list.push(e); revokesOf.set(target, list) }
        grew = lowerCut(cuts, target, { seq: this.seenOf(e, target), kind: 'revoke', stamp: e.stamp }) || grew
      }
      for (const { peer, lastSeq, stamp } of r.faults) grew = lowerCut(cuts, peer, { seq: lastSeq, kind: 'fault', stamp }) || grew
      if (!grew) break
    }
    return fold as Fold
  }

  /** One pass in causal order: grants and faults judged, revokes checked for authority (settled after). */
  private pass (order: Event[], cuts: Map<string, Cut>, spent: Set<Event>, revokesOf: Map<string, Event[]>): {
    fold: Fold
    revokeCandidates: Event[]
    faults: Array<{ peer: string, lastSeq: number, stamp: Stamp }>
    overUses: Event[]
  } {
    const fold: Fold = {
      verdicts: new Map(),
      grants: new Map([[this.genesis.founder, [{ role: 'admin', after: 0, by: this.genesis.founder, stamp: 0n }]]]),
      cuts,
      uses: new Map()
    }
    const revokeCandidates: Event[] = []
    const faults: Array<{ peer: string, lastSeq: number, stamp: Stamp }> = []
    const byNonce = new Map<string, Array<{ e: Event, claimHash: string }>>()
    const granted = new Set<string>([this.genesis.founder])
    for (const e of order) if (e.body.kind === 'member') granted.add(e.body.peer)
    for (const e of order) {
      const body = e.body
      if (body.kind === 'fault') {
        const check = this.faultCheck(e)
        const v = !check.ok ? final(check.reason) : granted.has(e.author) ? OK : notYet(`${e.author} was never granted a role`)
        if (v.ok && check.ok) faults.push({ peer: body.peer, lastSeq: Math.min(check.fromSeq - 1, this.seenOf(e, body.peer)), stamp: e.stamp })
        fold.verdicts.set(e, v)
        continue
      }
      const cut = cuts.get(e.author)
      if (cut !== undefined && e.seq > cut.seq) {
        fold.verdicts.set(e, beyondCut(e.author, e.seq, cut))
        continue
      }
      const authorRole = roleIn(fold, e.author, e.seq)
      let v: Verdict
      if (body.kind === 'revoke') {
        v = authorRole === 'admin' ? OK : notYet(`${e.author} is not an admin for its event ${e.seq}`)
        if (v.ok) revokeCandidates.push(e)
      } else if (body.kind === 'member') {
        v = this.judgeGrant(e, body, authorRole, fold, revokesOf, spent, byNonce)
        if (v.ok) grantsOf(fold, body.peer).push({ role: body.role, after: this.seenOf(e, body.peer), by: e.author, stamp: e.stamp })
      } else {
        v = OK
      }
      fold.verdicts.set(e, v)
    }
    const overUses: Event[] = []
    for (const [nonce, list] of byNonce) {
      const ranked = this.rankUses(list)
      const uses = (this.tokenCheck(list[0].e) as { inv: SignedInvite }).inv.token.uses
      fold.uses.set(nonce, Math.min(uses, ranked.length))
      for (const e of ranked.slice(uses)) overUses.push(e)
    }
    return { fold, revokeCandidates, faults, overUses }
  }

  private judgeGrant (e: Event, body: MemberBody, authorRole: Role | undefined, fold: Fold, revokesOf: Map<string, Event[]>, spent: Set<Event>,
    byNonce: Map<string, Array<{ e: Event, claimHash: string }>>): Verdict {
    if (body.invite === undefined) {
      if (body.claim !== undefined) return final('a claim without a token')
      return authorRole === 'admin' ? OK : notYet(`${e.author} is not an admin for its event ${e.seq}`)
    }
    const check = this.tokenCheck(e)
    if (!check.ok) return final(check.reason)
    if (authorRole === undefined) return notYet(`${e.author} is not a member for its event ${e.seq}`)
    const inviter = check.inv.token.inviter
    const grants = fold.grants.get(inviter)
    if (grants === undefined || grants[grants.length - 1].role !== 'admin') return notYet('the token\'s inviter is not an admin')
    // The token dies with its inviter's revocation, for every grant the revoker had not seen.
    for (const r of revokesOf.get(inviter) ?? []) {
      if (this.seenOf(r, e.author) < e.seq) return final('the token\'s inviter was revoked')
    }
    if (spent.has(e)) return notYet('invite token already spent')
    const nonce = hexOf(check.inv.token.nonce)
    const list = byNonce.get(nonce) ?? []
    list.push({ e, claimHash: check.claimHash })
    byNonce.set(nonce, list)
    return OK
  }

  /**
   * Grants of one token, first to last: a grant after every grant of it its
   * author had seen (causal depth), concurrent ones by their claim's hash —
   * fixed by the joiners, not by whoever relayed or stamped the grant.
   */
  private rankUses (list: Array<{ e: Event, claimHash: string }>): Event[] {
    const depth = new Map<Event, number>()
    for (const { e } of list) {
      let d = 0
      for (const { e: o } of list) {
        if (o === e) break
        const seen = o.author === e.author ? o.seq < e.seq : this.seenOf(e, o.author) >= o.seq
        if (seen) d = Math.max(d, (depth.get(o) ?? 0) + 1)
      }
      depth.set(e, d)
    }
    return list.slice().sort((a, b) => (depth.get(a.e) as number) - (depth.get(b.e) as number) || (a.claimHash < b.claimHash ? -1 : a.claimHash > b.claimHash ? 1 : 0)).map(x => x.e)
  }

  private tokenCheck (e: Event): TokenCheck {
    let c = this.tokenChecks.get(e)
    if (c !== undefined) return c
    const body = e.body as MemberBody
    c = checkToken(body, this.verifier, this.federation, e.stamp)
    this.tokenChecks.set(e, c)
    return c
  }

  private faultCheck (e: Event): ReturnType<typeof checkFault> {
    let c = this.faultChecks.get(e)
    if (c === undefined) {
      const body = e.body as Extract<Event['body'], { kind: 'fault' }>
      c = checkFault(body, this.verifier)
      this.faultChecks.set(e, c)
    }
    return c
  }

  /** What the author of membership event `e` had of `peer`'s events (its own: everything before e). */
  private seenOf (e: Event, peer: string): number {
    if (peer === e.author) return e.seq - 1
    let view = this.views.get(e)
    if (view === undefined) {
      view = new Map((e.body as { seen?: SeenEntries }).seen ?? [])
      this.views.set(e, view)
    }
    return view.get(peer) ?? 0
  }

  /**
   * A causal order: each author's events by seq, an event after every
   * membership event its view covers; among events ready together, the first
   * by (stamp, author, id). A view claiming what was not yet written can make
   * a cycle: then the first head by that order goes anyway.
   */
  private causalOrder (events: Event[]): Event[] {
    const byAuthor = new Map<string, Event[]>()
    for (const e of events) {
      const list = byAuthor.get(e.author) ?? []
      list.push(e)
      byAuthor.set(e.author, list)
    }
    for (const list of byAuthor.values()) list.sort((a, b) => a.seq - b.seq || compareVersions(a, b))
    const next = new Map<string, number>([...byAuthor.keys()].map(a => [a, 0]))
    const headOf = (a: string): Event | undefined => byAuthor.get(a)?.[next.get(a) as number]
    const ready = (h: Event): boolean => {
      for (const a of byAuthor.keys()) {
        if (a === h.author) continue
        const other = headOf(a)
        if (other !== undefined && other.seq <= this.seenOf(h, a)) return false
      }
      return true
    }
    const out: Event[] = []
    while (out.length < events.length) {
      let pick: Event | undefined
      let fallback: Event | undefined
      for (const a of byAuthor.keys()) {
        const h = headOf(a)
        if (h === undefined) continue
        if (fallback === undefined || compareVersions(h, fallback) < 0) fallback = h
        if (ready(h) && (pick === undefined || compareVersions(h, pick) < 0)) pick = h
      }
      const chosen = (pick ?? fallback) as Event
      out.push(chosen)
      next.set(chosen.author, (next.get(chosen.author) as number) + 1)
    }
    return out
  }
}

/** The static checks of a token grant: token signed, of this federation, unexpired at the grant's stamp, role as the token says, claim for this peer. */
function checkToken (body: MemberBody, verifier: Verifier, federation: string, stamp: Stamp): TokenCheck {
  let inv: SignedInvite
  try { inv = decodeInvite(body.invite as Uint8Array) } catch { return { ok: false, reason: 'malformed invite token' } }
  const problem = checkInvite(inv, verifier, { federation, nowMs: wallOf(stamp) })
  if (problem !== undefined) return { ok: false, reason: `invite token: ${problem}` }
  if (inv.token.role !== body.role) return { ok: false, reason: 'grant role differs from its token' }
  if (body.claim === undefined || !checkClaim(inv, body.peer, body.claim, verifier)) {
    return { ok: false, reason: 'invite token: no valid claim for this peer (a token read from the log admits nobody)' }
  }
  return { ok: true, inv, claimHash: hexOf(sha256(body.claim)) }
}

function grantsOf (fold: Fold, peer: string): Grant[] {
  let g = fold.grants.get(peer)
  if (g === undefined) { g = []; fold.grants.set(peer, g) }
  return g
}

/** The role of the last grant (in fold order) that covers `peer`'s event `seq`, unless `peer` is cut before it. */
function roleIn (fold: Fold, peer: string, seq: number): Role | undefined {
  const cut = fold.cuts.get(peer)
  if (cut !== undefined && seq > cut.seq) return undefined
  const grants = fold.grants.get(peer)
  if (grants === undefined) return undefined
  for (let i = grants.length - 1; i >= 0; i--) if (grants[i].after < seq) return grants[i].role
  return undefined
}

function lowerCut (cuts: Map<string, Cut>, peer: string, cut: Cut): boolean {
  const had = cuts.get(peer)
  if (had !== undefined && had.seq <= cut.seq) return false
  cuts.set(peer, cut)
  return true
}

function sameGrants (a: Grant[] | undefined, b: Grant[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.length === b.length && a.every((g, i) => g.role === b[i].role && g.after === b[i].after && g.stamp === b[i].stamp)
}
