// Last-writer-wins order: (HLC stamp, author, id). The checkers judge the core
// by the order the core itself declares (protocol/state.ts) — the simulator
// checks that replicas apply it consistently and lose nothing, not which total
// order was chosen.

import type { Event } from '../protocol/event.js'
import { compareVersions } from '../protocol/state.js'

export type Versioned = Pick<Event, 'stamp' | 'author' | 'id'>

export function compareVersion (a: Versioned, b: Versioned): number {
  return compareVersions(a, b)
}
