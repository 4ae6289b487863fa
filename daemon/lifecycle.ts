// The daemon's long-lived parts start and stop the same way (libp2p's Startable): each has start() and
// stop(), a composition lists them in start order once, and stopping is that list backwards. Stopping
// never stops halfway: each part's stop is caught and logged, and the next one runs.

import { isMycelError } from '../protocol/errors.js'
import type { Logger } from './log.js'

export interface Startable {
  start: () => Promise<void> | void
  stop: () => Promise<void> | void
}

/** A part with the name its failures are logged under. */
export type Part = readonly [name: string, part: Startable]

/** A part that only needs stopping (opened before the list starts, e.g. a store) or only starting. */
export function onStop (stop: () => Promise<void> | void): Startable {
  return { start: () => {}, stop }
}

export function onStart (start: () => Promise<void> | void): Startable {
  return { start, stop: () => {} }
}

/**
 * Starts the parts in order. If one fails, the parts already started are stopped (backwards, as
 * stopAll) and the failure is rethrown. Resolves with the parts started, for stopAll.
 */
export async function startAll (parts: readonly Part[], log: Logger): Promise<Part[]> {
  const started: Part[] = []
  for (const entry of parts) {
    try {
      await entry[1].start()
    } catch (err) {
      await stopAll(started, log)
      throw err
    }
    started.push(entry)
  }
  return started
}

/** Stops the parts in reverse order; a part that fails to stop is logged and the next one still stops. */
export async function stopAll (parts: readonly Part[], log: Logger): Promise<void> {
  for (const [name, part] of [...parts].reverse()) {
    try {
      await part.stop()
    } catch (err) {
      log.warn(`stopping ${name} failed`, { err, code: isMycelError(err) ? err.code : undefined })
    }
  }
}
