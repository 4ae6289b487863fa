// Keeping a decoded event small (issue #25: a key's version costs ~2 KB in memory, four fifths of it
// V8's objects around small byte arrays, not the bytes). What every decoded event repeated:
//
//   - its 32-byte fields (digest, manifest, prev) decoded as arrays that own a copy of their bytes,
//     ~240 bytes each with V8's ArrayBuffer and backing store, when the same bytes sit in the event's
//     own envelope: a view into it is ~100 bytes, and the envelope lives exactly as long;
//   - its id, the sha-256 of the envelope, in an array of its own: written after the envelope, in the
//     buffer the event owns anyway (sealEnvelope);
//   - its signature, signed part and prev, views kept though they are read when the event arrives and
//     seldom after: handed out as fresh views from offsets instead (SealedEvent);
//   - its author, a fresh string per event though a federation has a few dozen authors;
//   - an empty `props`, a fresh object per put.
//
// Each helper returns a value equal to its input; only where the memory lies changes.
// (tools/bench/per-key.ts: 2 045 bytes an event before any of this, 1 509 with views, interned
// authors and one empty props, 1 101 with the id in the envelope's buffer and offsets for the rest.)

import { bytesOfText, equalBytes, textOfBytes } from './bytes.js'
import { coldBody } from './cold-body.js'
import type { Envelope } from './envelope.js'
import { MycelError } from './errors.js'
import { sha256 } from './sha256.js'
import type { Event, EventBody, UnsignedEvent } from './event.js'
import type { Stamp } from './hlc.js'

/** Authors interned at most: a federation's members are far fewer; past it strings are kept as they come. */
const MAX_INTERNED_AUTHORS = 4096
const authors = new Map<string, string>()

/** One string per author across every event decoded. */
export function internAuthor (author: string): string {
  const had = authors.get(author)
  if (had !== undefined) return had
  if (authors.size < MAX_INTERNED_AUTHORS) authors.set(author, author)
  return author
}

/** The props of every put that has none. Frozen: a decoded event's props are never written to. */
export const EMPTY_PROPS: Record<string, string> = Object.freeze({}) as Record<string, string>

/** CBOR's header of a 32-byte byte string (major type 2, one-byte length 32). */
const BYTES32 = [0x58, 0x20]

/**
 * A view into `container` holding the same 32 bytes as `copy` (where the CBOR encoder wrote them), or
 * `copy` itself if they are not there as a 32-byte byte string.
 */
export function viewOf32 (container: Uint8Array, copy: Uint8Array): Uint8Array {
  if (copy.length !== 32) return copy
  const last = container.length - 34
  outer: for (let i = 0; i <= last; i++) {
    if (container[i] !== BYTES32[0] || container[i + 1] !== BYTES32[1]) continue
    for (let j = 0; j < 32; j++) if (container[i + 2 + j] !== copy[j]) continue outer
    return container.subarray(i + 2, i + 34)
  }
  return copy
}

/**
 * An event's envelope and its id (the sha-256 of the envelope) in one buffer that owns them: the
 * envelope copied from `envelope` (often a view into a transport's receive buffer, soon reused), the
 * id written after it, each returned as a view. A 32-byte id in an array of its own costs ~240 bytes
 * of V8's ArrayBuffer and backing store; as a view into a buffer the event keeps anyway, ~100.
 */
export function sealEnvelope (envelope: Uint8Array, hash: (bytes: Uint8Array) => Uint8Array): { bytes: Uint8Array, id: Uint8Array } {
  const owned = new Uint8Array(envelope.length + 32)
  owned.set(envelope)
  const bytes = owned.subarray(0, envelope.length)
  const id = owned.subarray(envelope.length)
  id.set(hash(bytes))
  return { bytes, id }
}

/**
 * Where a cooled event's envelope is read back from (the daemon's store, synchronously: LevelDB's
 * getSync): the event stored under (author, seq), decoded, or undefined when none is.
 */
export interface EventReader {
  read(author: string, seq: number): Event | undefined
  /** Its envelope alone, undecoded: what serving it needs (an anti-entropy answer reads thousands). */
  readBytes(author: string, seq: number): Uint8Array | undefined
}

/**
 * A decoded or freshly signed event. Its signature, signed part and prev are handed out as fresh views of
 * its envelope when asked, from offsets it keeps, not kept as views: they are read to check the event and
 * its chain, as it arrives, while an event is kept for as long as its key's version lives (three views
 * kept were ~300 bytes an event; four small integers are 32).
 *
 * A put or delete that is durable can be *cooled* (cool()): its envelope and body are let go and read
 * back from the store when asked (cold-body.ts), so a held version costs its stamp, author, seq, id and
 * key in memory, not its bytes (issue #25). The object stays the one the state and the author log hold;
 * warm() brings the bytes back, and the state warms a version as it lets go of it (state.ts release),
 * before its removal reaches the store, so a version anyone still holds stays readable.
 * Fields are set in the constructor, in one order, so V8 keeps them inside the object. Sealed, not
 * frozen: only cooling and warming change `body` and the envelope.
 */
export class SealedEvent implements Event {
  readonly v: 1 = 1
  readonly author: string
  readonly seq: number
  readonly stamp: Stamp
  /** The body; a cooled event's is a ColdBody that reads the rest back when asked. */
  readonly body: EventBody
  /** The envelope, or undefined while cooled. */
  private envelope: Uint8Array | undefined
  /** The id: a view into the envelope's buffer (sealEnvelope), or undefined while cooled. */
  private idView: Uint8Array | undefined
  /**
   * A cooled event's id, its 32 bytes as the characters of a one-byte string (~56 bytes; an array of
   * its own costs ~230 with its ArrayBuffer).
   */
  private idText: string | undefined
  private readonly sigAt: number
  private readonly sigEnd: number
  private readonly signedAt: number
  /** Where `prev` lies in `bytes`; -1 without one. */
  private readonly prevAt: number
  /** Where a cooled event is read back from. */
  private reader: EventReader | undefined

  /** `parts`: the envelope's signature and signed part, views into `bytes` (parseEnvelope). */
  constructor (unsigned: UnsignedEvent, bytes: Uint8Array, id: Uint8Array, parts: Envelope) {
    this.author = unsigned.author
    this.seq = unsigned.seq
    this.stamp = unsigned.stamp
    this.body = unsigned.body
    this.envelope = bytes
    this.idView = id
    this.idText = undefined
    this.sigAt = parts.sig.byteOffset - bytes.byteOffset
    this.sigEnd = this.sigAt + parts.sig.byteLength
    this.signedAt = parts.signed.byteOffset - bytes.byteOffset
    this.prevAt = -1
    if (unsigned.prev !== undefined) {
      // A decoded event's prev is a view into its signed part already; a freshly signed one's is found there.
      // A canonical signed part always holds it as a 32-byte byte string.
      const view = unsigned.prev.buffer === bytes.buffer ? unsigned.prev : viewOf32(parts.signed, unsigned.prev)
      if (view.buffer !== bytes.buffer) throw new Error('an event\'s prev is not in its signed part')
      this.prevAt = view.byteOffset - bytes.byteOffset
    }
    this.reader = undefined
    Object.seal(this)
  }

  /** sha-256 of `bytes`; a cooled event's is made afresh from the string it keeps. */
  get id (): Uint8Array { return this.idView ?? bytesOfText(this.idText as string) }

  /** Canonical encoding of the envelope; a cooled event's is read back, not kept. */
  get bytes (): Uint8Array { return this.envelope ?? this.readBackBytes() }

  get sig (): Uint8Array { return this.bytes.subarray(this.sigAt, this.sigEnd) }

  get signed (): Uint8Array { return this.bytes.subarray(this.signedAt) }

  /** The id of the author's previous event, a fresh view of where the signed part holds it (the chain: chain.ts). */
  get prev (): Uint8Array | undefined {
    return this.prevAt < 0 ? undefined : this.bytes.subarray(this.prevAt, this.prevAt + 32)
  }

  get cold (): boolean { return this.envelope === undefined }

  /**
   * Lets go of the envelope and the body but their key, kind and whether a delete is conditional,
   * which the state reads at every apply. Only for a put or delete that `reader` returns (durable):
   * system events stay whole (membership and rules read them whole, and they are few).
   */
  cool (reader: EventReader): void {
    if (this.envelope === undefined || (this.body.kind !== 'put' && this.body.kind !== 'delete')) return
    const self = this as unknown as { body: EventBody }
    self.body = coldBody(this, this.body)
    // The id is a view into the envelope's buffer (sealEnvelope): keep its bytes in a string instead.
    this.idText = textOfBytes(this.idView as Uint8Array)
    this.idView = undefined
    this.reader = reader
    this.envelope = undefined
  }

  /** Takes back the envelope and the body, read back once; a no-op unless cooled. */
  warm (): void {
    if (this.envelope !== undefined) return
    const whole = this.readBack()
    const self = this as unknown as { body: EventBody }
    self.body = whole.body
    this.envelope = whole.bytes
    this.idView = whole.id
    this.idText = undefined
    this.reader = undefined
  }

  /** The envelope as stored, checked against the id (a hash, no decoding); throws as readBack does. */
  private readBackBytes (): Uint8Array {
    return this.asCooled(this.reader?.readBytes(this.author, this.seq), sha256)
  }

  /**
   * The event as stored, from the reader (which may keep a few at hand: a body's fields are often read
   * one after another); throws if the store no longer holds it as it was.
   */
  readBack (): Event {
    return this.asCooled(this.reader?.read(this.author, this.seq), whole => whole.id)
  }

  /** What the store gave back for this event, once its id (`idOf`) is the one it was cooled with. */
  private asCooled<T> (found: T | undefined, idOf: (found: T) => Uint8Array): T {
    if (found === undefined) throw new MycelError('INTERNAL', `event ${this.author}:${this.seq} was cooled but the store no longer holds it`)
    if (!equalBytes(idOf(found), this.id)) throw new MycelError('INTERNAL', `event ${this.author}:${this.seq} read back from the store is not the one cooled: the store is damaged`)
    return found
  }
}
