// When this node applied events that came from other members: the first and
// the last (wall-clock ms) and how many. Shown under status.stats.remoteApplied,
// so a benchmark can tell the applying rate of a catch-up apart from process
// start and join (the API answers only once a joiner is ready, by which time
// most of its catch-up may be over). Three numbers: nothing grows.

export interface RemoteApplied {
  count: number
  firstAtMs: number | null
  lastAtMs: number | null
}

export class ApplyTiming {
  private readonly nowMs: () => number
  private count = 0
  private firstAtMs: number | null = null
  private lastAtMs: number | null = null

  constructor (nowMs: () => number = Date.now) {
    this.nowMs = nowMs
  }

  /** The core's observer: an event from another member was applied. */
  remote (): void {
    const now = this.nowMs()
    this.count++
    this.firstAtMs ??= now
    this.lastAtMs = now
  }

  snapshot (): RemoteApplied {
    return { count: this.count, firstAtMs: this.firstAtMs, lastAtMs: this.lastAtMs }
  }
}
