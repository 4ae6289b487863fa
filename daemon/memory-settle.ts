// Why a daemon asks V8 for a full collection once a burst of hostile (or just large) input is over.
//
// A flood of 15 000 badly signed events is decoded, checked and thrown away: afterwards the heap is
// mostly garbage. V8 collects old garbage when it next needs room, and an idle daemon allocates so
// little that this can take a long while: RSS stayed at 156 MiB (from 90) until V8's memory reducer
// ran ~45 s after one such flood (issue #17 saw 95 → 217 MiB, and staying there). The collection
// itself took ~15 ms on that heap, and brought RSS back to 90.
//
// So after a burst — events shed at a bound or refused in numbers (their log lines held back), a
// large message taken, strangers closed — the daemon waits until it has been quiet for `quietMs`,
// then runs one full collection, at most once per `minIntervalMs`, and only while the heap is small
// enough that the pause stays short (a large live heap is left to V8's own timing). With it, RSS was
// back at 91 MiB 15 s after the flood.
//
// What this cannot give back: memory the C allocator keeps after the collection has freed it. A
// flood of 150 MB of 15 KiB far-future events (refused unread, docs/daemon.md) left ~180–230 MiB,
// of which ~100 MiB was glibc's own heap ([heap] in /proc/PID/smaps) holding freed buffers; the
// environment variables in docs/daemon.md ("Memory after abuse") make glibc return it.
//
// The collection needs V8's gc function, which exists only when node runs with --expose-gc;
// memorySettler() turns that flag on for this process. Like heap-growth.ts, this is the process's
// business: the CLI's `mycel daemon` makes one; the Daemon class only reports bursts.

import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

const MiB = 1024 * 1024

export interface MemorySettlerInit {
  /** Quiet time after the last burst before collecting. Default 3 s. */
  quietMs?: number
  /** At most one collection per this. Default 30 s. */
  minIntervalMs?: number
  /** Used heap above which no collection is forced (its pause would be long). Default 256 MiB. */
  maxHeapBytes?: number
}

export interface MemorySettlerComponents {
  /** V8's gc(): a full collection. */
  gc: () => void
  heapUsed: () => number
  /** Monotonic ms. */
  now: () => number
}

export class MemorySettler {
  /** Full collections run (for tests). */
  collections = 0
  private readonly quietMs: number
  private readonly minIntervalMs: number
  private readonly maxHeapBytes: number
  private lastMs = -Infinity
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly c: MemorySettlerComponents, init: MemorySettlerInit = {}) {
    this.quietMs = init.quietMs ?? 3_000
    this.minIntervalMs = init.minIntervalMs ?? 30_000
    this.maxHeapBytes = init.maxHeapBytes ?? 256 * MiB
  }

  /** A burst happened: collect once it has been quiet for quietMs (a later burst pushes that back). */
  note (): void {
    clearTimeout(this.timer)
    const wait = Math.max(this.quietMs, this.lastMs + this.minIntervalMs - this.c.now())
    this.timer = setTimeout(() => { this.settle() }, wait)
    this.timer.unref()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private settle (): void {
    this.timer = undefined
    if (this.c.heapUsed() > this.maxHeapBytes) return
    this.lastMs = this.c.now()
    this.collections++
    this.c.gc()
  }
}

/** The settler of this process, or undefined if V8's gc cannot be had. */
export function memorySettler (init?: MemorySettlerInit): MemorySettler | undefined {
  let gc: unknown
  try {
    setFlagsFromString('--expose-gc')
    gc = runInNewContext('gc')
  } catch {
    return undefined
  }
  if (typeof gc !== 'function') return undefined
  return new MemorySettler({ gc: gc as () => void, heapUsed: () => getHeapStatistics().used_heap_size, now: () => performance.now() }, init)
}
