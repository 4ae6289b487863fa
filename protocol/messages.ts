// The sync protocol's messages. The core emits and consumes these as objects;
// codec.ts turns them into bytes for the wire (the simulator skips the bytes
// and counts encoded sizes instead).
//
// Anti-entropy round, initiated by A towards B every antiEntropyIntervalMs:
//   A → B  digest{digest}                       (~40 bytes; in sync ⇒ nothing more)
//   B → A  vv{vv, reply: true}                  (digests differ: "this is what I have")
//   A → B  events{events B lacks, through, more} (O(d), split into bounded batches)
//   A → B  vv{vv, reply: false}                 ("and this is what I have")
//   B → A  events{events A lacks, through, more}
// A receiver of events{more: true} answers at once with vv{reply: false}: a
// pull-based catch-up with one bounded response in flight.
// Eager push: a new event goes out in push{events, ttl} to a few peers; a peer
// that learns something new from a push forwards it while ttl > 0.
// Tombstone acknowledgements ride on acks{...}: rows signed by the member they
// speak for (acks.ts, tombstones.ts).
// Equal coverage with unequal digests (two replicas hold different events for
// one (author, seq): an equivocation nobody relayed) is found by comparing
// per-author fingerprints{...}, then the (seq, id) lists of the authors that
// differ, ids{...}; each side then sends the events it holds that the other
// holds differently, and the receiver holds a proof (faults.ts).

import type { SignedAck } from './acks.js'
import type { Event } from './event.js'

/** author → highest sequence number covered (see version-vector.ts). */
export type VersionVectorEntries = Array<[author: string, seq: number]>

export interface DigestMessage {
  type: 'digest'
  digest: Uint8Array
}

export interface VersionVectorMessage {
  type: 'vv'
  vv: VersionVectorEntries
  /** Ask the receiver to answer with its own vv so events flow both ways. */
  reply: boolean
}

/**
 * `[author, from, to]`: "if you were covered through `from`, you are now
 * covered through `to`" — every event of that author in (from, to] is either
 * in this message or superseded in the sender's state. Conditional on `from`
 * so that a lost or reordered batch can never make a receiver skip events.
 */
export type ThroughEntry = [author: string, from: number, to: number]

export interface EventsMessage {
  type: 'events'
  events: Event[]
  through: ThroughEntry[]
  /** The sender stopped at its per-round byte budget: ask again (send vv) for the rest. */
  more: boolean
}

export interface PushMessage {
  type: 'push'
  events: Event[]
  /** How many more hops a receiver may forward what was new to it. */
  ttl: number
}

export interface AcksMessage {
  type: 'acks'
  /** Rows, each signed by the member it speaks for: its own and those it relays. */
  acks: SignedAck[]
  /**
   * Ask for the receiver's table in return. A replica still holding something
   * to collect asks; one that has collected everything answers, so a straggler
   * (say, restarted with an empty table) still hears the acks it needs.
   */
  reply: boolean
}

/** XOR of the ids of every event held, per author (author-log.ts): sent when coverage is equal but digests are not. */
export interface FingerprintsMessage {
  type: 'fps'
  fps: Array<[author: string, fp: Uint8Array]>
}

/** The events held of authors whose fingerprints differed: (author, seq, first 8 bytes of the id). */
export interface IdsMessage {
  type: 'ids'
  ids: Array<[author: string, seq: number, idPrefix: Uint8Array]>
}

/**
 * Events the sender covers but does not hold, asked of a peer that listed them:
 * only of members cut off (revoked, suspended), whose events a replica counts as
 * seen without holding — a fault proof such a member relayed may hide behind one.
 */
export interface WantMessage {
  type: 'want'
  wants: Array<[author: string, seq: number]>
}

export type SyncMessage = DigestMessage | VersionVectorMessage | EventsMessage | PushMessage | AcksMessage | FingerprintsMessage | IdsMessage | WantMessage
