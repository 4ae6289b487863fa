// Eager push with duplicate suppression. New events (local once durable, or
// remote ones seen for the first time) wait pushDelayMs so that bursts travel
// as one message per peer, then go to `fanout` random connected peers. A
// receiver forwards only what was new to it, and only while ttl > 0; in a
// federation where every member is connected and fanout covers them all, the
// origin's one hop reaches everyone and ttl starts at 0.

import type { Event } from './event.js'
import { MAX_PUSH_QUEUE, MAX_PUSH_QUEUE_BYTES } from './limits.js'

export interface QueuedPush {
  event: Event
  ttl: number
  /** The peer it came from (not sent back there). */
  from?: string
}

export class PushQueue {
  private queue: QueuedPush[] = []
  private bytes = 0
  /** Events not queued because the queue was full (left to anti-entropy). */
  dropped = 0

  get size (): number {
    return this.queue.length
  }

  add (item: QueuedPush): void {
    const size = item.event.bytes.length
    if (this.queue.length >= MAX_PUSH_QUEUE || this.bytes + size > MAX_PUSH_QUEUE_BYTES) { this.dropped++; return }
    this.queue.push(item)
    this.bytes += size
  }

  take (): QueuedPush[] {
    const q = this.queue
    this.queue = []
    this.bytes = 0
    return q
  }
}

/** Chooses up to k distinct items uniformly (partial Fisher–Yates on a copy). */
export function sample<T> (items: readonly T[], k: number, int: (n: number) => number): T[] {
  const a = items.slice()
  const n = Math.min(k, a.length)
  for (let i = 0; i < n; i++) {
    const j = i + int(a.length - i)
    const t = a[i]; a[i] = a[j]; a[j] = t
  }
  return a.slice(0, n)
}
