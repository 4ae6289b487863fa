// The time ports (protocol/ports.ts Timers) on the simulator's event queue:
// virtual time that moves only as the queue runs. The simulator drives each
// node's replica host with them, and tests drive anything that takes Timers
// (the blob chunk scheduler's fetches, the replica host) without a real wait.
//
// A cancelled timer's entry stays in the queue and does nothing when it comes
// up: removing it would save nothing and the queue's order of everything else
// is the same either way.

import type { Cancel, Timers } from '../protocol/ports.js'
import type { EventQueue } from './event-queue.js'

export function queueTimers (queue: EventQueue): Timers {
  const schedule = (atMs: number, fn: () => void): Cancel => {
    let live = true
    queue.at(atMs, () => { if (live) { live = false; fn() } })
    return () => { live = false }
  }
  return {
    monoMs: () => queue.now(),
    after: (delayMs, fn) => schedule(queue.now() + delayMs, fn),
    at: schedule
  }
}
