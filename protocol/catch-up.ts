// When peers come up, which of them get an immediate anti-entropy round, and when.
//
// A (re)connected peer should not wait a whole period to catch up, so the
// first peer to come up gets a round at once. But a partition heal brings
// back many links at the same instant (a node of a 1000-node mesh had ~11
// across the cut), and a round with each of them at once made every one of
// them answer with the same events: in a 500-node heal that was 1.07 M of
// the 1.32 M duplicate deliveries. So the others wait their turn, one every
// spacingMs, and a peer still waiting after expireMs is left to the regular
// rounds (by then those have reached it or will soon). The first round brings
// nearly everything; the ones after it carry what was still in flight.

import { MAX_CATCH_UP_QUEUE } from './limits.js'

export interface CatchUpTiming {
  /** Between two catch-up rounds. */
  spacingMs: number
  /** A peer waiting longer than this gets no catch-up round of its own. */
  expireMs: number
}

export class CatchUpQueue {
  private readonly waiting: Array<{ peer: string, sinceMs: number }> = []
  /** No catch-up round may start before this. */
  private notBeforeMs = -Infinity

  constructor (private readonly timing: CatchUpTiming) {}

  /** A peer came up. True: start its round now (the caller sends the digest). */
  up (peer: string, nowMs: number): boolean {
    this.down(peer)
    if (nowMs >= this.notBeforeMs) {
      this.notBeforeMs = nowMs + this.timing.spacingMs
      return true
    }
    if (this.waiting.length < MAX_CATCH_UP_QUEUE) this.waiting.push({ peer, sinceMs: nowMs })
    return false
  }

  down (peer: string): void {
    const i = this.waiting.findIndex(w => w.peer === peer)
    if (i >= 0) this.waiting.splice(i, 1)
  }

  /** The peer whose catch-up round is due now, if any (removed from the queue). */
  due (nowMs: number): string | undefined {
    if (nowMs < this.notBeforeMs) return undefined
    while (this.waiting.length > 0) {
      const w = this.waiting.shift() as { peer: string, sinceMs: number }
      if (nowMs - w.sinceMs > this.timing.expireMs) continue
      this.notBeforeMs = nowMs + this.timing.spacingMs
      return w.peer
    }
    return undefined
  }

  /** When due() may next return a peer (Infinity: nobody waits). */
  nextMs (): number {
    return this.waiting.length === 0 ? Infinity : this.notBeforeMs
  }
}
