// Drives the core's timers with one real timer: call tick(), sleep until the
// monotonic deadline it returns (at most maxDelayMs, so a clock surprise never
// leaves the core asleep), repeat. poke() runs tick soon after any input, so
// a push the core schedules 10 ms out is not stuck behind a 1 s sleep.

export interface TickerComponents {
  /** replica.tick: runs what is due, returns the next monotonic deadline (ms). */
  tick: () => number
  monoMs: () => number
  /** Told if tick throws (a core bug); the ticker keeps going. */
  onError: (err: unknown) => void
}

export interface TickerInit {
  maxDelayMs: number
}

export class Ticker {
  private readonly components: TickerComponents
  private readonly maxDelayMs: number
  private timer: NodeJS.Timeout | undefined
  private dueAt = Infinity
  private running = false

  constructor (init: TickerInit, components: TickerComponents) {
    this.maxDelayMs = init.maxDelayMs
    this.components = components
  }

  start (): void {
    this.running = true
    this.schedule(0)
  }

  stop (): void {
    this.running = false
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  /** Run tick at the next turn of the event loop unless already due sooner. */
  poke (): void {
    if (this.running) this.schedule(0)
  }

  private schedule (delayMs: number): void {
    const at = this.components.monoMs() + delayMs
    if (this.timer !== undefined && this.dueAt <= at) return
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.dueAt = at
    this.timer = setTimeout(() => { this.run() }, delayMs)
    // The API server and libp2p keep the daemon alive; the ticker alone must not.
    this.timer.unref()
  }

  private run (): void {
    this.timer = undefined
    this.dueAt = Infinity
    if (!this.running) return
    let next: number
    try {
      next = this.components.tick()
    } catch (err) {
      this.components.onError(err)
      next = this.components.monoMs() + this.maxDelayMs
    }
    const delay = Math.min(Math.max(0, next - this.components.monoMs()), this.maxDelayMs)
    this.schedule(Number.isFinite(delay) ? delay : this.maxDelayMs)
  }
}
