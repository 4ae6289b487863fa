// Who gets which pushed events. Own events (queued with ttl -1) go to
// pushFanout random connected peers; in a mesh larger than our connections
// they also carry a ttl, and each relay passes what was new to it on to
// relayFanout peers, one hop less each time: an epidemic with duplicate
// suppression. An event never goes back to the peer it came from, and a
// message never exceeds maxBatchBytes. Pure: randomness comes in as `int`,
// called in the same order for the same input, so the simulator replays.

import type { Event } from './event.js'
import type { PushMessage } from './messages.js'
import { sample, type QueuedPush } from './push-queue.js'

export interface PushFanout {
  pushFanout: number
  relayFanout: number
  pushTtl: number
  maxBatchBytes: number
}

/**
 * The push messages for a flush of queued items. `others`: how many members
 * besides us there are (or peers a driver knows of); the mesh is sparse when
 * we are not connected to them all or connected to more than one push reaches.
 */
export function planPushes (items: readonly QueuedPush[], connected: readonly string[], others: number, cfg: PushFanout, int: (n: number) => number): Array<{ to: string, message: PushMessage }> {
  const out: Array<{ to: string, message: PushMessage }> = []
  if (items.length === 0 || connected.length === 0) return out
  const sparse = others > connected.length || connected.length > cfg.pushFanout
  // Group by fanout and remaining ttl (own events and relays go to different fanouts).
  // A flush runs for every push a busy node sends, so nothing is copied per item.
  const groups = new Map<number, { ttl: number, items: QueuedPush[] }>()
  for (const item of items) {
    const ttl = item.ttl < 0 ? (sparse ? cfg.pushTtl : 0) : item.ttl
    const key = item.ttl < 0 ? -1 - ttl : ttl
    let group = groups.get(key)
    if (group === undefined) { group = { ttl, items: [] }; groups.set(key, group) }
    group.items.push(item)
  }
  for (const [key, { ttl, items: group }] of groups) {
    const own = key < 0
    const targets = sample(connected, own ? cfg.pushFanout : cfg.relayFanout, int)
    // Targets none of the group came from get the same messages: one set of
    // arrays, split once (messages are never modified once sent).
    let shared: Event[][] | undefined
    for (const to of targets) {
      let chunks: Event[][]
      if (group.some(i => i.from === to)) {
        const events: Event[] = []
        for (const i of group) if (i.from !== to) events.push(i.event)
        if (events.length === 0) continue
        chunks = chunkByBytes(events, cfg.maxBatchBytes)
      } else chunks = shared ??= chunkByBytes(group.map(i => i.event), cfg.maxBatchBytes)
      for (const chunk of chunks) out.push({ to, message: { type: 'push', events: chunk, ttl } })
    }
  }
  return out
}

/** Splits events into runs whose encoding stays under maxBytes (each run at least one event). */
export function chunkByBytes (events: Event[], maxBytes: number): Event[][] {
  // Nearly every push fits in one message: then the input itself is the one run, uncopied.
  let out: Event[][] | undefined
  let start = 0
  let bytes = 0
  for (let i = 0; i < events.length; i++) {
    const size = events[i].bytes.length
    if (i > start && bytes + size + 64 > maxBytes) {
      (out ??= []).push(events.slice(start, i))
      start = i
      bytes = 0
    }
    bytes += size + 4
  }
  if (out === undefined) return events.length === 0 ? [] : [events]
  out.push(events.slice(start))
  return out
}
