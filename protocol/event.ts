// Metadata events: the unit of replication. An event is authored by one member,
// numbered by that author's sequence (1, 2, 3, ...), stamped with the author's
// hybrid logical clock, signed, and identified by the sha-256 of its canonical
// encoding. The body union is open: new kinds register a validator in codec.ts.

import type { Stamp } from './hlc.js'
import type { Rule } from './rules.js'

export interface PutBody {
  kind: 'put'
  key: string
  /** sha-256 of the blob bytes (32 bytes). */
  digest: Uint8Array
  size: number
  props: Record<string, string>
  /** sha-256 of the blob's chunk manifest, when the blob layer made one. */
  manifest?: Uint8Array
}

export interface DeleteBody {
  kind: 'delete'
  key: string
  /**
   * A conditional delete: it counts only against this version (an event id), like HTTP's
   * If-Match. Retention writes these, so that a version published concurrently with a retention
   * run is never deleted by it (rule-fold.ts).
   */
  ifVersion?: Uint8Array
}

export type Role = 'reader' | 'writer' | 'admin'

/**
 * The author's view when it wrote a membership event: for each member, the
 * highest seq of that member's events it had (its version vector, restricted
 * to members). Membership is judged by what an author had seen, never by the
 * stamp it chose (docs/federation.md, "Threat model").
 */
export type SeenEntries = Array<[member: string, seq: number]>

/**
 * `peer` holds `role` for its events after `seen[peer]` (those the author had
 * not seen when it granted). Written by an admin, or — with `invite` and
 * `claim` — by any member relaying a token holder's proof of possession.
 */
export interface MemberBody {
  kind: 'member'
  /** `mycel:member/<peer>/<grant nonce hex>`: unique, so grants are never superseded. */
  key: string
  peer: string
  role: Role
  /** The invite token's public part (token and inviter signature; never its secret). */
  invite?: Uint8Array
  /** The joiner's proof of possession: the token's one-time key signed (federation, token nonce, peer). */
  claim?: Uint8Array
  seen: SeenEntries
}

/**
 * `peer` holds no role for its events after `seen[peer]`: what the revoker had
 * of `peer` when it revoked is kept, everything after is void, whatever its stamp.
 */
export interface RevokeBody {
  kind: 'revoke'
  /** `mycel:revoke/<peer>/<nonce hex>`: unique, so revocations are never superseded. */
  key: string
  peer: string
  seen: SeenEntries
}

/** Which contradiction a fault proof shows (faults.ts). */
export type FaultKind = 'twin' | 'chain' | 'backdate' | 'order'

/**
 * Proof that `peer` signed two statements no honest member signs (two events
 * with one seq; an event whose `prev` names another event than the one it
 * signed at the seq before; an event stamped below its own earlier
 * acknowledgement; two events whose stamps run against their seqs). Like a
 * revoke it carries its author's view: `peer`'s events after the fault's seq,
 * or after what the author had of `peer`, whichever is lower, are void — so
 * what still counts is something an honest member had, and everyone can reach. Valid by its content alone;
 * `peer` is suspended from the fault's seq on, everywhere.
 */
export interface FaultBody {
  kind: 'fault'
  /** `mycel:fault/<peer>/<nonce hex>`: unique. */
  key: string
  peer: string
  proof: FaultKind
  /** The first signed statement: an event envelope. */
  a: Uint8Array
  /** The second: an event envelope, or a signed acknowledgement (acks.ts) for `backdate`. */
  b: Uint8Array
  seen: SeenEntries
}

/** The author's own listen addresses, so the mesh reconnects without the inviter. */
export interface AddrsBody {
  kind: 'addrs'
  /** `mycel:addrs/<author>`: last writer wins. */
  key: string
  addrs: string[]
}

/** How a site keeps other members' blob bytes (daemon/blob/policy.ts). */
export type ReplicateMode = 'eager' | 'on-demand' | 'none'

/**
 * What a site says of itself, signed: its human name (unique in the
 * federation: site-names.ts settles a clash the same way everywhere), the
 * groups it is in (for `publish --wait-group`), and its replication policy, so
 * that every member knows which sites mirror which keys.
 */
export interface SiteBody {
  kind: 'site'
  /** `mycel:site/<author>`: last writer wins. */
  key: string
  name: string
  groups: string[]
  /** The default mode and per-prefix modes (longest prefix wins). */
  policy: { mode: ReplicateMode, prefixes: Array<[prefix: string, mode: ReplicateMode]> }
}

/**
 * The federation's artifact rules (rules.ts), written by an admin. A unique key, so never
 * superseded: the rules in force for a version are those of the latest rules event stamped
 * before it (rule-fold.ts), and the newest is what sites enforce now.
 */
export interface RulesBody {
  kind: 'rules'
  /** `mycel:rules/<nonce hex>`. */
  key: string
  rules: Rule[]
}

export type EventBody = PutBody | DeleteBody | MemberBody | RevokeBody | FaultBody | AddrsBody | SiteBody | RulesBody

/** What a driver passes to write(): the core adds a membership event's `seen` itself (its own view). */
export type NewEventBody = PutBody | DeleteBody | AddrsBody | SiteBody | RulesBody | Omit<MemberBody, 'seen'> | Omit<RevokeBody, 'seen'> | Omit<FaultBody, 'seen'>

/** Kinds that change who may do what: folded by membership.ts. */
export type MembershipBody = MemberBody | RevokeBody | FaultBody

export function isMembershipEvent (event: Event): event is Event & { body: MembershipBody } {
  const k = event.body.kind
  return k === 'member' || k === 'revoke' || k === 'fault'
}

/** Keys under this prefix belong to the system kinds; user keys may not use it. */
export const SYSTEM_KEY_PREFIX = 'mycel:'

export function memberKey (peer: string, grantNonceHex: string): string { return `${SYSTEM_KEY_PREFIX}member/${peer}/${grantNonceHex}` }
export function revokeKey (peer: string, nonceHex: string): string { return `${SYSTEM_KEY_PREFIX}revoke/${peer}/${nonceHex}` }
export function faultKey (peer: string, nonceHex: string): string { return `${SYSTEM_KEY_PREFIX}fault/${peer}/${nonceHex}` }
export function siteKey (peer: string): string { return `${SYSTEM_KEY_PREFIX}site/${peer}` }
export function addrsKey (peer: string): string { return `${SYSTEM_KEY_PREFIX}addrs/${peer}` }
export function rulesKey (nonceHex: string): string { return `${SYSTEM_KEY_PREFIX}rules/${nonceHex}` }

export function isRulesEvent (event: Event): event is Event & { body: RulesBody } {
  return event.body.kind === 'rules'
}

/** A user-visible artifact event (put or delete). */
export function isUserEvent (event: Event): event is Event & { body: PutBody | DeleteBody } {
  return event.body.kind === 'put' || event.body.kind === 'delete'
}

/** The signed part of an event. */
export interface UnsignedEvent {
  v: 1
  author: string
  seq: number
  stamp: Stamp
  body: EventBody
  /**
   * The id of this author's event seq - 1, when the author still knew it: a
   * hash chain, so one valid signature authenticates every event linked below
   * it (see chain.ts). Absent on seq 1 and after an author lost its history.
   */
  prev?: Uint8Array
}

/** An event as it travels and is stored: immutable; bytes and id cached. */
export interface Event extends UnsignedEvent {
  sig: Uint8Array
  /** Canonical encoding of the unsigned event: exactly the bytes the author signed. */
  readonly signed: Uint8Array
  /** Canonical encoding of the envelope {s: signed, g: sig}: what travels and is stored. */
  readonly bytes: Uint8Array
  /** sha-256 of `bytes`. */
  readonly id: Uint8Array
}

/** A delete that names the version it deletes (`ifVersion`: rule-fold.ts). */
export function isConditional (event: Event): boolean {
  return event.body.kind === 'delete' && event.body.ifVersion !== undefined
}

export function isTombstone (event: Event): boolean {
  return event.body.kind === 'delete'
}

/** `author:seq` — unique per event from an honest author. */
export function eventRef (event: Pick<Event, 'author' | 'seq'>): string {
  return `${event.author}:${event.seq}`
}
