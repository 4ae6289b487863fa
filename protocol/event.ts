// Metadata events: the unit of replication. An event is authored by one member,
// numbered by that author's sequence (1, 2, 3, ...), stamped with the author's
// hybrid logical clock, signed, and identified by the sha-256 of its canonical
// encoding. The body union is open: new kinds register a validator in codec.ts.

import type { Stamp } from './hlc.js'

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
}

export type Role = 'reader' | 'writer' | 'admin'

/** `peer` holds `role` from this event's stamp on (see docs/federation.md). */
export interface MemberBody {
  kind: 'member'
  /** `mycel:member/<peer>/<grant nonce hex>`: unique, so grants are never superseded. */
  key: string
  peer: string
  role: Role
  /** The invite token the peer presented, when admitted by token. */
  invite?: Uint8Array
}

/** `peer` holds no role from this event's stamp on, forever. */
export interface RevokeBody {
  kind: 'revoke'
  /** `mycel:revoke/<peer>/<nonce hex>`: unique, so revocations are never superseded. */
  key: string
  peer: string
}

/** The author's own listen addresses, so the mesh reconnects without the inviter. */
export interface AddrsBody {
  kind: 'addrs'
  /** `mycel:addrs/<author>`: last writer wins. */
  key: string
  addrs: string[]
}

export type EventBody = PutBody | DeleteBody | MemberBody | RevokeBody | AddrsBody

/** Keys under this prefix belong to the system kinds; user keys may not use it. */
export const SYSTEM_KEY_PREFIX = 'mycel:'

export function memberKey (peer: string, grantNonceHex: string): string { return `${SYSTEM_KEY_PREFIX}member/${peer}/${grantNonceHex}` }
export function revokeKey (peer: string, nonceHex: string): string { return `${SYSTEM_KEY_PREFIX}revoke/${peer}/${nonceHex}` }
export function addrsKey (peer: string): string { return `${SYSTEM_KEY_PREFIX}addrs/${peer}` }

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

export function isTombstone (event: Event): boolean {
  return event.body.kind === 'delete'
}

/** `author:seq` — unique per event from an honest author. */
export function eventRef (event: Pick<Event, 'author' | 'seq'>): string {
  return `${event.author}:${event.seq}`
}
