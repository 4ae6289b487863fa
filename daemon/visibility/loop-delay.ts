// How long the event loop was late, as /metrics and `mycel status` report it (issue #17: a daemon
// whose loop is held by one input answers nobody meanwhile). node's monitorEventLoopDelay samples the
// delay every `resolutionMs`; the figures are over the current window and the one before it, so a
// scrape right after a window turns over still sees the last minute.

import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

/** Sampling resolution of the delay histogram: fine enough to see a 20 ms stall, cheap (one timer). */
const RESOLUTION_MS = 10
/** Length of one window of figures. */
const WINDOW_MS = 60_000

export interface LoopDelaySnapshot {
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Over how long (ms) the figures were gathered. */
  windowMs: number
}

export class LoopDelay {
  private current: IntervalHistogram | undefined
  private previous: LoopDelaySnapshot | undefined
  private startedMs = 0
  private timer: ReturnType<typeof setInterval> | undefined

  start (): void {
    if (this.current !== undefined) return
    this.current = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    this.current.enable()
    this.startedMs = performance.now()
    this.timer = setInterval(() => { this.turn() }, WINDOW_MS)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.current?.disable()
    this.current = undefined
  }

  /** The larger of this window's figures and the last window's (each quantile on its own). */
  snapshot (): LoopDelaySnapshot {
    const now = this.figures()
    const before = this.previous
    if (before === undefined) return now
    return {
      p50Ms: Math.max(now.p50Ms, before.p50Ms),
      p99Ms: Math.max(now.p99Ms, before.p99Ms),
      maxMs: Math.max(now.maxMs, before.maxMs),
      windowMs: now.windowMs + before.windowMs
    }
  }

  private turn (): void {
    this.previous = this.figures()
    this.current?.reset()
    this.startedMs = performance.now()
  }

  private figures (): LoopDelaySnapshot {
    const h = this.current
    const windowMs = Math.round(performance.now() - this.startedMs)
    // The histogram is in ns, and its values include the sampling interval itself.
    if (h === undefined || h.count === 0) return { p50Ms: 0, p99Ms: 0, maxMs: 0, windowMs }
    const ms = (ns: number): number => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10)
    return { p50Ms: ms(h.percentile(50)), p99Ms: ms(h.percentile(99)), maxMs: ms(h.max), windowMs }
  }
}
