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

/** Later issues add membership and address kinds; any kind names its key space. */
export interface OtherBody {
  kind: string
  key: string
  [field: string]: unknown
}

export type EventBody = PutBody | DeleteBody

/** The signed part of an event. */
export interface UnsignedEvent {
  v: 1
  author: string
  seq: number
  stamp: Stamp
  body: EventBody
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
