// The daemon's one implementation of the time ports (protocol/ports.ts): the
// wall clock, the monotonic clock and Node's timers (and, beside them, the
// random source: Math.random). Every part that waits or
// reads the time takes these as components, so tests and the simulator can hand
// it virtual ones instead. Timers are unref'd: the API server and libp2p keep a
// daemon alive, a pending timer alone must not hold a stopping one open.

import { performance } from 'node:perf_hooks'
import type { Cancel, Clock, Random, Timers } from '../protocol/ports.js'

export const REAL_CLOCK: Clock = {
  nowMs: () => Date.now(),
  monoMs: () => performance.now()
}

/** The core's random source in the daemon (jitter, peer choice): nothing in it needs to be unpredictable. */
export const REAL_RANDOM: Random = { float: () => Math.random(), int: n => Math.floor(Math.random() * n) }

function after (delayMs: number, fn: () => void): Cancel {
  const timer = setTimeout(fn, Math.max(0, delayMs))
  timer.unref()
  return () => { clearTimeout(timer) }
}

export const REAL_TIMERS: Timers = {
  monoMs: () => performance.now(),
  after,
  at: (atMs, fn) => after(atMs - performance.now(), fn)
}

/** Resolves after `ms` on `timers` (a sleep the tests can run in virtual time). */
export async function sleep (timers: Timers, ms: number): Promise<void> {
  await new Promise<void>(resolve => { timers.after(ms, resolve) })
}

/** Runs `fn` every `periodMs` on `timers` until the returned cancel is called. */
export function every (timers: Timers, periodMs: number, fn: () => void): Cancel {
  let cancel: Cancel
  let stopped = false
  const arm = (): void => { cancel = timers.after(periodMs, () => { if (stopped) return; arm(); fn() }) }
  arm()
  return () => { stopped = true; cancel() }
}
