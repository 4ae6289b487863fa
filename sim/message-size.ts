// Bytes a message would take on the wire, without encoding it: every event
// carries its canonical encoding (`bytes`), so a batch costs the sum of those
// plus small fixed framing. The simulator passes message objects between nodes
// and never re-encodes them per hop; this estimate is what `bytes` reports.
// test/sim/message-size.test.ts holds it against codec.encodeMessage.

import type { SyncMessage, ThroughEntry, VersionVectorEntries } from '../protocol/messages.js'
import type { Event } from '../protocol/event.js'
import { EVENT_OVERHEAD_BYTES, MESSAGE_OVERHEAD_BYTES, VV_ENTRY_OVERHEAD_BYTES } from './limits.js'

export function messageSize (message: SyncMessage): number {
  switch (message.type) {
    case 'digest': return MESSAGE_OVERHEAD_BYTES + message.digest.length
    case 'vv': return MESSAGE_OVERHEAD_BYTES + vvSize(message.vv)
    case 'events': return MESSAGE_OVERHEAD_BYTES + eventsSize(message.events) + throughSize(message.through)
    case 'push': return MESSAGE_OVERHEAD_BYTES + eventsSize(message.events)
    case 'acks': {
      let n = MESSAGE_OVERHEAD_BYTES
      for (const a of message.acks) n += a.bytes.length + VV_ENTRY_OVERHEAD_BYTES
      return n
    }
    case 'fps': {
      let n = MESSAGE_OVERHEAD_BYTES
      for (const [author, fp] of message.fps) n += author.length + fp.length + VV_ENTRY_OVERHEAD_BYTES
      return n
    }
    case 'want': {
      let n = MESSAGE_OVERHEAD_BYTES
      for (const [author] of message.wants) n += author.length + VV_ENTRY_OVERHEAD_BYTES
      return n
    }
    case 'ids': {
      let n = MESSAGE_OVERHEAD_BYTES
      for (const [author, , prefix] of message.ids) n += author.length + prefix.length + 2 * VV_ENTRY_OVERHEAD_BYTES
      return n
    }
    default: return MESSAGE_OVERHEAD_BYTES
  }
}

function vvSize (vv: VersionVectorEntries): number {
  let n = 0
  for (const [author] of vv) n += author.length + VV_ENTRY_OVERHEAD_BYTES
  return n
}

function throughSize (through: ThroughEntry[]): number {
  let n = 0
  // author plus two varint sequence numbers and framing
  for (const [author] of through) n += author.length + 2 * VV_ENTRY_OVERHEAD_BYTES
  return n
}

function eventsSize (events: Event[]): number {
  let n = 0
  for (const e of events) n += e.bytes.length + EVENT_OVERHEAD_BYTES
  return n
}

/**
 * messageSize per sender, remembered for the array a message shares: a
 * replica resends its unchanged version-vector entries (a thousand of them in
 * a big run), and a push to several peers shares one events array
 * (push-plan.ts). A message carrying the same array as its sender's last one
 * costs the same as then.
 */
export class SharedArraySizes {
  private readonly last: unknown[] = []
  private readonly bytes: number[] = []

  sizeOf (from: number, shared: readonly unknown[], message: SyncMessage): number {
    if (this.last[from] === shared) return this.bytes[from] as number
    const bytes = messageSize(message)
    this.last[from] = shared
    this.bytes[from] = bytes
    return bytes
  }
}

/** How many events a message carries (for the cost breakdown). */
export function eventCount (message: SyncMessage): number {
  return message.type === 'events' || message.type === 'push' ? message.events.length : 0
}
