// A cap on the bytes this node serves to other members, all streams together:
// `mycel daemon --max-upload-rate 50M` (config `maxUploadBytesPerSec`). A
// site whose uplink is shared with other work sets it so that mirroring and
// fetches by other sites do not take the whole link. Fetchers do not need to
// know: a capped holder is simply a slower one, and the fetcher's scheduler
// already moves work to the faster holders (chunk-scheduler.ts).
//
// A token bucket of one second's worth (at most MAX_BURST_BYTES), refilled
// continuously; every chunk frame takes its size from it before it is
// written. Waiters are served in arrival order, so streams share the rate
// fairly chunk by chunk. A chunk larger than what is in the bucket is taken
// into debt, and its waiter sleeps the debt off before it is sent.

const MAX_BURST_BYTES = 4 * 1024 * 1024

/**
 * The lowest cap accepted: the largest chunk (4 MiB) must leave within the fetcher's stall timeout
 * (10 s, constants.ts STALL_TIMEOUT_MS) with room to spare, or a capped holder would look dead.
 */
export const MIN_UPLOAD_BYTES_PER_SEC = 1_000_000

export interface UploadRateComponents {
  /** Monotonic milliseconds. */
  now: () => number
  sleep: (ms: number) => Promise<void>
}

export class UploadRate {
  private readonly burst: number
  private tokens: number
  private last: number
  private queue: Promise<void> = Promise.resolve()

  constructor (private readonly bytesPerSec: number, private readonly c: UploadRateComponents) {
    if (!(bytesPerSec >= MIN_UPLOAD_BYTES_PER_SEC)) throw new RangeError(`upload rate below ${MIN_UPLOAD_BYTES_PER_SEC} bytes/s`)
    this.burst = Math.min(bytesPerSec, MAX_BURST_BYTES)
    this.tokens = this.burst
    this.last = c.now()
  }

  /**
   * Resolves when `bytes` may be sent: after every earlier take, and once the rate allows. If `dropped`
   * says true when its turn comes (its stream was aborted while it waited), it takes nothing from the
   * budget and resolves at once: what it would have sent goes to the next waiters.
   */
  async take (bytes: number, dropped?: () => boolean): Promise<void> {
    const turn = this.queue.then(async () => { if (dropped?.() !== true) await this.wait(bytes) })
    this.queue = turn
    await turn
  }

  /** Takes the bytes now, into debt if need be, and sleeps the debt off: the next waiter refills from there. */
  private async wait (bytes: number): Promise<void> {
    this.refill()
    this.tokens -= bytes
    if (this.tokens < 0) await this.c.sleep(Math.ceil(-this.tokens * 1000 / this.bytesPerSec))
  }

  private refill (): void {
    const now = this.c.now()
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.bytesPerSec / 1000)
    this.last = now
  }
}

/** Parses a rate as the CLI takes it: bytes per second, with an optional K, M or G (powers of 1000), e.g. 50M. */
export function parseRate (text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)(?:b(?:\/s)?)?$/i.exec(text.trim())
  if (m === null) return undefined
  const unit = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']
  return Math.round(Number(m[1]) * unit)
}
