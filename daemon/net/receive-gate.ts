// Pauses and resumes reading a libp2p stream so that a pause always holds.
//
// A stream's resume() (@libp2p/utils 7, abstract-message-stream.ts) first hands the bytes read while
// paused to the 'message' listeners, synchronously, and only then tells yamux to grant window again
// (sendResume). When those bytes push the reader back over its high-water mark and the listener pauses
// inside that hand-over, the stream reads as paused but yamux is told "resumed" right after: it grants
// window for every frame received while the stream buffers them, until the read buffer passes its
// limit and the stream aborts itself ("Read buffer length ... exceeded limit ..., read status is
// paused"). The member's sync stream is reset and neither end logged why. Seen in CI (the year-ahead
// flood test) and reproduced with yamux alone in test/unit/net/receive-gate.test.ts.
//
// So a pause asked for during a resume is held back and made once resume() has returned.

/** The part of a libp2p stream the gate drives. */
export interface Pausable {
  readonly readStatus: string
  pause(): void
  resume(): void
}

export class ReceiveGate {
  private resuming = false
  private pauseAfterResume = false

  constructor (private readonly stream: Pausable) {}

  /** Stops reading (yamux stops granting window); false when it is paused already, or not being read. */
  pause (): boolean {
    if (this.resuming) {
      if (this.pauseAfterResume) return false
      this.pauseAfterResume = true
      return true
    }
    if (this.status() !== 'readable') return false
    this.stream.pause()
    return true
  }

  /** Reads again, unless a listener asked for a pause while the buffered bytes were handed over. */
  resume (): void {
    if (this.status() !== 'paused' || this.resuming) return
    this.resuming = true
    try {
      this.stream.resume()
    } finally {
      this.resuming = false
    }
    if (this.pauseAfterResume) {
      this.pauseAfterResume = false
      if (this.status() === 'readable') this.stream.pause()
    }
  }

  /** Read afresh each time: resume() changes it under us. */
  private status (): string {
    return this.stream.readStatus
  }

  /** Paused, or about to be once the resume under way returns. */
  get paused (): boolean {
    return this.pauseAfterResume || this.status() === 'paused'
  }
}
