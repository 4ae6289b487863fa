// One full garbage collection, on purpose, when a large amount of garbage is known to have just been
// made and nothing will allocate soon enough to collect it: after a start, the replay of the store
// leaves every event's decoded bytes and body behind once the state cools them (#25). An idle daemon
// allocates little, so V8 would keep that heap, and the process's RSS with it, for as long as it idles.
// V8's gc() is reached without --expose-gc on the command line: the flag is set at run time and the
// function taken from a fresh context, where V8 installs it.

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** V8's gc extension; `flavor: 'last-resort'` also shrinks the heap and gives its freed pages back. */
type Gc = (options?: { type: 'major', execution: 'sync', flavor: 'regular' | 'last-resort' }) => void
let gc: Gc | undefined

/** Runs a full collection; returns how long it took (ms), or undefined if V8 offers none. */
export function fullGc (): number | undefined {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as Gc
    } catch {
      return undefined
    }
  }
  const t = performance.now()
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
  return performance.now() - t
}
