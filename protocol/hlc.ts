// Hybrid logical clock (Kulkarni, Demirbas et al., 2014). A stamp packs 48 bits
// of physical milliseconds and a 16-bit logical counter into one 64-bit
// unsigned integer, so stamps compare as plain bigints; the author id breaks
// ties (see compareVersions in state.ts).
//
// The clock never goes backwards: not when the physical clock jumps back, and
// not across restarts (the driver persists `highWater()` and passes it back).
// It refuses to be dragged forward by a remote stamp more than
// `maxClockOffsetMs` ahead of local physical time: `observe` reports 'ahead'
// and the caller holds the event until local time catches up.

export type Stamp = bigint

const LOGICAL_BITS = 16n
const LOGICAL_MAX = (1 << 16) - 1
const WALL_MAX = 2 ** 48 - 1

export const ZERO_STAMP: Stamp = 0n
export const MAX_STAMP: Stamp = (1n << 64n) - 1n

export function makeStamp (wallMs: number, logical: number): Stamp {
  return (BigInt(wallMs) << LOGICAL_BITS) | BigInt(logical)
}

export function wallOf (stamp: Stamp): number {
  return Number(stamp >> LOGICAL_BITS)
}

export function logicalOf (stamp: Stamp): number {
  return Number(stamp & BigInt(LOGICAL_MAX))
}

/** `1763769600000.7` style: wall milliseconds, a dot, the logical counter. */
export function formatStamp (stamp: Stamp): string {
  return `${wallOf(stamp)}.${logicalOf(stamp)}`
}

export function parseStamp (text: string): Stamp | undefined {
  const m = /^(\d{1,15})\.(\d{1,5})$/.exec(text)
  if (m === null) return undefined
  const wall = Number(m[1])
  const logical = Number(m[2])
  if (wall > WALL_MAX || logical > LOGICAL_MAX) return undefined
  return makeStamp(wall, logical)
}

export function isValidStamp (stamp: unknown): stamp is Stamp {
  return typeof stamp === 'bigint' && stamp >= 0n && stamp <= MAX_STAMP
}

export interface HybridClockInit {
  /** Reads physical time; injected so the simulator can skew it. */
  now: () => number
  /** Remote stamps further ahead than this are not obeyed. Default 60 000 ms. */
  maxClockOffsetMs?: number
  /** The persisted high-water mark from before a restart. */
  highWater?: Stamp
}

export const DEFAULT_MAX_CLOCK_OFFSET_MS = 60_000

export class HybridClock {
  readonly maxClockOffsetMs: number
  private readonly now: () => number
  private last: Stamp

  constructor (init: HybridClockInit) {
    this.now = init.now
    this.maxClockOffsetMs = init.maxClockOffsetMs ?? DEFAULT_MAX_CLOCK_OFFSET_MS
    this.last = init.highWater ?? ZERO_STAMP
  }

  /** A fresh stamp for a local event, above every stamp seen so far. */
  tick (): Stamp {
    const physical = clampWall(this.now())
    const lastWall = wallOf(this.last)
    if (physical > lastWall) {
      this.last = makeStamp(physical, 0)
    } else {
      this.last = bump(this.last)
    }
    return this.last
  }

  /**
   * Takes a remote stamp into account. Returns 'ahead' (and changes nothing)
   * when the stamp is beyond now + maxClockOffsetMs: the event must be held.
   */
  observe (remote: Stamp): 'ok' | 'ahead' {
    if (this.isAhead(remote)) return 'ahead'
    if (remote > this.last) this.last = remote
    return 'ok'
  }

  /** True when `remote` is more than the offset bound ahead of local physical time. */
  isAhead (remote: Stamp): boolean {
    return wallOf(remote) > clampWall(this.now()) + this.maxClockOffsetMs
  }

  /** The largest stamp issued or observed; persist it to stay monotonic across restarts. */
  highWater (): Stamp {
    return this.last
  }

  /** Physical time as the clock reads it (for hold-back bookkeeping). */
  physicalMs (): number {
    return clampWall(this.now())
  }
}

function clampWall (ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) return 0
  return Math.min(Math.floor(ms), WALL_MAX)
}

/** Next stamp after `s`; a full logical counter borrows a millisecond from the future. */
function bump (s: Stamp): Stamp {
  if (logicalOf(s) < LOGICAL_MAX) return s + 1n
  return makeStamp(wallOf(s) + 1, 0)
}
