// When pushes go out. The first event queued (push-queue.ts) starts a wait of
// pushDelayMs, so that a burst travels as one message per peer; the flush then
// hands everything queued to planPushes (push-plan.ts), which picks the peers.

import type { PushMessage } from './messages.js'
import { planPushes, type PushFanout } from './push-plan.js'
import { PushQueue, type QueuedPush } from './push-queue.js'

export interface PushScheduleInit extends PushFanout {
  /** How long new events wait to be pushed together (ReplicaInit.pushDelayMs). */
  pushDelayMs: number
}

export class PushSchedule {
  private readonly queue = new PushQueue()
  private flushAtMs: number | undefined

  constructor (private readonly init: PushScheduleInit) {}

  /** When flush() is due; undefined while nothing waits. */
  get nextFlushMs (): number | undefined {
    return this.flushAtMs
  }

  /** Events not queued because the queue was full (left to anti-entropy). */
  get dropped (): number {
    return this.queue.dropped
  }

  add (item: QueuedPush, now: number): void {
    this.queue.add(item)
    this.flushAtMs ??= now + this.init.pushDelayMs
  }

  /** The messages for everything queued; `others` and `int` as planPushes takes them. */
  flush (connected: readonly string[], others: number, int: (n: number) => number): Array<{ to: string, message: PushMessage }> {
    this.flushAtMs = undefined
    return planPushes(this.queue.take(), connected, others, this.init, int)
  }
}
