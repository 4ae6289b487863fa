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
  const groups = new Map<number, QueuedPush[]>()
  for (const item of items) {
    const ttl = item.ttl < 0 ? (sparse ? cfg.pushTtl : 0) : item.ttl
    const key = item.ttl < 0 ? -1 - ttl : ttl // own events and relays go to different fanouts
    let group = groups.get(key)
    if (group === undefined) { group = []; groups.set(key, group) }
    group.push({ ...item, ttl })
  }
  for (const [key, group] of groups) {
    const own = key < 0
    const ttl = group[0].ttl
    const targets = sample(connected, own ? cfg.pushFanout : cfg.relayFanout, int)
    for (const to of targets) {
      const events = group.filter(i => i.from !== to).map(i => i.event)
      if (events.length === 0) continue
      for (const chunk of chunkByBytes(events, cfg.maxBatchBytes)) out.push({ to, message: { type: 'push', events: chunk, ttl } })
    }
  }
  return out
}

/** Splits events into runs whose encoding stays under maxBytes (each run at least one event). */
export function chunkByBytes (events: Event[], maxBytes: number): Event[][] {
  const out: Event[][] = []
  let cur: Event[] = []
  let bytes = 0
  for (const e of events) {
    if (cur.length > 0 && bytes + e.bytes.length + 64 > maxBytes) { out.push(cur); cur = []; bytes = 0 }
    cur.push(e)
    bytes += e.bytes.length + 4
  }
  if (cur.length > 0) out.push(cur)
  return out
}
