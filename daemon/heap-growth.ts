// Why a daemon pins V8's heap growing factor while it moves blob bytes and its heap is small.
//
// V8 (11.3, Node 20) counts ArrayBuffer bytes allocated since the last
// mark-compact against the old generation's allocation limit, and starts
// incremental marking once the room left under that limit falls below the
// young generation's capacity. A daemon moving blob bytes allocates little JS
// but about a buffer's worth of bytes per byte it moves (Noise ciphertext and
// plaintext, socket reads), and those buffers die young. With a ~17 MB live
// heap V8 set the limit at ~40 MB, so every ~20 MB of buffers started a
// mark-compact before a scavenge could free them: ~50 mark-compacts and
// ~1.5 CPU-s of marking threads per GiB served, in about half the runs (the
// other half, scavenges happened to come first). On two cores that was a
// fifth of a fetch's CPU.
//
// A growing factor of 3 (V8 picks one between 1.1 and 4 by itself on a
// machine this size) leaves the buffers room to die in scavenges: 0–1
// mark-compacts per GiB served, and 1 GiB fetches ran at 260–288 MB/s instead
// of 206–258 (docs/blobs.md, "Measured").
//
// The factor was once pinned only while serving: with V8's default young
// generation (16 MiB semi-spaces) a downloading daemon's dead buffers waited
// longer for a full GC, and the fetcher's peak RSS rose by 34 MiB on Node 22,
// over the 200 MB target. Since `mycel daemon` runs with 4 MiB semi-spaces
// (cli/node-flags.ts), buffers are promoted sooner, and a fetcher left
// with V8's factor ran the same storm (23–24 mark-compacts per GiB, ~1 CPU-s
// of marking); pinned, 1 per GiB, and its peak RSS was 169–173 MiB against
// 201–204 with V8's defaults throughout (BENCHMARKS.md, eighth session). So
// the factor is pinned while blob bytes move either way (a chunk served or
// received within IDLE_MS), and only while the heap is small: above CEILING a fixed factor would let a large heap hold twice its
// live size in garbage. Otherwise V8 chooses (percent 0). The flag is a number
// V8 reads each time it recomputes the limit after a full GC, which is why
// setting it after start-up takes effect, and why it takes effect at the next
// one.
//
// An operator who passes --heap-growing-percent to node keeps their value:
// the governor then does nothing.

import { getHeapStatistics, setFlagsFromString } from 'node:v8'

const MiB = 1024 * 1024

export interface HeapGrowthInit {
  /** The growing factor while pinned, as V8's percent (factor = 1 + percent / 100). Default 200. */
  percent?: number
  /** Used heap above which V8's own factor is restored. Default 128 MiB. */
  ceilingBytes?: number
  /** Used heap below which the factor may be pinned again. Default 96 MiB. */
  floorBytes?: number
  /** Moving blob bytes counts as over this long after the last chunk served or received. Default 30 s. */
  idleMs?: number
  /** How often the heap and the last chunk moved are looked at. Default 5 s. */
  everyMs?: number
}

export interface HeapGrowthComponents {
  setFlags: (flags: string) => void
  heapUsed: () => number
  /** Monotonic milliseconds. */
  now: () => number
  /** node's own flags (process.execArgv), to leave an operator's choice alone. */
  execArgv: readonly string[]
}

/** Whether the factor should be pinned: while blob bytes move, with the heap under the ceiling (below the floor to pin again). */
export function shouldPin (pinned: boolean, moving: boolean, used: number, ceilingBytes: number, floorBytes: number): boolean {
  if (!moving) return false
  if (pinned) return used <= ceilingBytes
  return used < floorBytes
}

export class HeapGrowthGovernor {
  private readonly percent: number
  private readonly ceilingBytes: number
  private readonly floorBytes: number
  private readonly idleMs: number
  private readonly everyMs: number
  private pinned = false
  private lastMovedMs: number | undefined
  private timer: ReturnType<typeof setInterval> | undefined

  constructor (private readonly components: HeapGrowthComponents, init: HeapGrowthInit = {}) {
    this.percent = init.percent ?? 200
    this.ceilingBytes = init.ceilingBytes ?? 128 * MiB
    this.floorBytes = init.floorBytes ?? 96 * MiB
    this.idleMs = init.idleMs ?? 30_000
    this.everyMs = init.everyMs ?? 5000
  }

  /** False when the operator set the flag themselves. */
  get active (): boolean {
    return !this.components.execArgv.some(a => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))
  }

  get isPinned (): boolean {
    return this.pinned
  }

  start (): void {
    if (!this.active || this.timer !== undefined) return
    this.timer = setInterval(() => { this.check() }, this.everyMs)
    this.timer.unref()
  }

  /** A chunk was served or received: pin now if not pinned yet (once per chunk, so cheap when pinned). */
  moved (): void {
    if (this.timer === undefined) return
    this.lastMovedMs = this.components.now()
    if (!this.pinned) this.check()
  }

  /** Looks at the heap and at the last chunk moved, and pins or releases the factor. */
  check (): void {
    const moving = this.lastMovedMs !== undefined && this.components.now() - this.lastMovedMs <= this.idleMs
    const pin = shouldPin(this.pinned, moving, this.components.heapUsed(), this.ceilingBytes, this.floorBytes)
    if (pin === this.pinned) return
    this.pinned = pin
    this.components.setFlags(`--heap-growing-percent=${pin ? this.percent : 0}`)
  }

  /** Stops looking and gives the factor back to V8. */
  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    if (this.pinned) this.components.setFlags('--heap-growing-percent=0')
    this.pinned = false
  }
}

/** The governor for this process. */
export function heapGrowthGovernor (init?: HeapGrowthInit): HeapGrowthGovernor {
  return new HeapGrowthGovernor({
    setFlags: setFlagsFromString,
    heapUsed: () => getHeapStatistics().used_heap_size,
    now: () => performance.now(),
    execArgv: process.execArgv
  }, init)
}
