// Reads a cooled event back from the store (protocol/compact-event.ts, SealedEvent.cool): one
// synchronous LevelDB point read (classic-level's getSync; docs/protocol.md, "The plan") and a decode.
// The last few read are kept, bounded in count and bytes: a body's fields are read one after another
// (a listing reads a put's digest, size and props), and each would otherwise be a read and a decode.

import type { Event } from '../../protocol/event.js'
import type { EventReader } from '../../protocol/compact-event.js'

/** Events kept at hand, at most. */
const KEEP_EVENTS = 64
/** Their envelopes' bytes, at most (an event is ~300 bytes; a large one up to the event limit). */
const KEEP_BYTES = 256 * 1024

export class StoredEventReader implements EventReader {
  private readonly kept = new Map<string, Event>()
  private keptBytes = 0
  /** Events read from the store (not from those kept): what cooling costs in reads. */
  reads = 0

  constructor (
    private readonly getSync: (author: string, seq: number) => Uint8Array | undefined,
    private readonly decode: (bytes: Uint8Array) => Event
  ) {}

  read (author: string, seq: number): Event | undefined {
    const ref = `${author}!${seq}`
    const had = this.kept.get(ref)
    if (had !== undefined) return had
    const bytes = this.getSync(author, seq)
    if (bytes === undefined) return undefined
    this.reads++
    const event = this.decode(bytes)
    this.keep(ref, event)
    return event
  }

  readBytes (author: string, seq: number): Uint8Array | undefined {
    const had = this.kept.get(`${author}!${seq}`)
    if (had !== undefined) return had.bytes
    const bytes = this.getSync(author, seq)
    if (bytes !== undefined) this.reads++
    return bytes
  }

  private keep (ref: string, event: Event): void {
    this.kept.set(ref, event)
    this.keptBytes += event.bytes.length
    for (const [oldest, e] of this.kept) {
      if (this.kept.size <= KEEP_EVENTS && this.keptBytes <= KEEP_BYTES) break
      this.kept.delete(oldest)
      this.keptBytes -= e.bytes.length
    }
  }
}
