// The stream we open to a peer: we write our hello, read its welcome, then only write. Frames wait in a
// bounded queue (a full queue drops, and the core's anti-entropy repairs the loss); queued frames are
// joined into writes of up to writeBatchBytes and written through sendFrame, which waits on the
// stream's own write buffer (stream-io.ts). See session-base.ts for how the two halves relate.

import { MycelError, isMycelError } from '../../protocol/errors.js'
import { encodeFrame } from './frame.js'
import { decodeWelcome } from './hello.js'
import { SessionBase } from './session-base.js'
import { sendFrame } from './stream-io.js'

export class OutboundSession extends SessionBase {
  readonly kind = 'outbound'
  welcomed = false
  private queue: Uint8Array[] = []
  private queued = 0
  private writing = false

  get queuedMessages (): number {
    return this.queue.length
  }

  get queuedBytes (): number {
    return this.queued
  }

  /** Send our hello and wait (via events) for the welcome. */
  begin (hello: Uint8Array): void {
    this.listen()
    try {
      // The first frame on a fresh stream: a few bytes, nothing to wait for.
      const frame = encodeFrame(hello)
      this.host.counters.framesOut++
      this.host.counters.bytesOut += frame.byteLength
      this.stream.send(frame)
    } catch (err) {
      this.abort(err)
    }
  }

  /** Queue a frame; false when the queue is full (the caller counts the drop). */
  enqueue (frame: Uint8Array): boolean {
    if (this.done) return false
    const limits = this.host.limits
    if (this.queue.length >= limits.sendQueueMessages || this.queued + frame.byteLength > limits.sendQueueBytes) return false
    this.queue.push(frame)
    this.queued += frame.byteLength
    this.kick()
    return true
  }

  /** Start writing if the session is up and idle. */
  kick (): void {
    if (this.welcomed && !this.writing && !this.done && this.queue.length > 0) {
      this.pump().catch(err => this.abort(err))
    }
  }

  /** Flush what is queued (bounded by timeoutMs) and close our writing side. */
  async close (timeoutMs: number): Promise<void> {
    if (this.done) return
    try {
      await this.stream.close({ signal: AbortSignal.timeout(timeoutMs) })
    } catch (err) {
      this.abort(err)
    }
  }

  protected handshaken (): boolean {
    return this.welcomed
  }

  protected onBytes (): void {
    if (!this.welcomed) {
      const frame = this.decoder.next()
      if (frame === undefined) return
      const welcome = decodeWelcome(frame)
      this.handshakeDone()
      if (!welcome.ok) {
        this.host.refused(this, welcome.reason)
        this.close(this.host.limits.helloTimeoutMs).catch(() => {})
        return
      }
      this.welcomed = true
      this.host.opened(this)
      this.kick()
    }
    if (this.decoder.next() !== undefined || this.decoder.bufferedBytes > 0) {
      throw MycelError.decode('peer wrote on its inbound sync stream after the welcome')
    }
  }

  private async pump (): Promise<void> {
    this.writing = true
    try {
      while (!this.done && this.queue.length > 0) {
        const batch = this.takeBatch()
        this.host.counters.bytesOut += batch.byteLength
        await this.send(batch)
      }
    } finally {
      this.writing = false
    }
  }

  /** One write, then the wait until the stream's own write buffer is back under its mark, under one deadline per stall. */
  private async send (bytes: Uint8Array): Promise<void> {
    try {
      await sendFrame(this.stream, bytes, { highWaterBytes: this.host.limits.streamWriteBufferBytes, timeoutMs: this.host.limits.drainTimeoutMs })
    } catch (err) {
      if (!this.done && isMycelError(err, 'TIMEOUT')) this.host.counters.drainTimeouts++
      throw err
    }
  }

  /**
   * Queued frames joined into one write of up to writeBatchBytes: each send() becomes its own yamux
   * frame and Noise message, so small messages sent one by one cost far more CPU than their bytes.
   */
  private takeBatch (): Uint8Array {
    const first = this.queue.shift() as Uint8Array
    let size = first.byteLength
    let count = 1 // frames taken: `first` plus queue[0 .. count-2]
    for (const next of this.queue) {
      if (size + next.byteLength > this.host.limits.writeBatchBytes) break
      size += next.byteLength
      count++
    }
    this.host.counters.framesOut += count
    if (count === 1) {
      this.queued -= first.byteLength
      return first
    }
    const batch = new Uint8Array(size)
    batch.set(first, 0)
    let offset = first.byteLength
    for (const frame of this.queue.splice(0, count - 1)) {
      batch.set(frame, offset)
      offset += frame.byteLength
    }
    this.queued -= size
    return batch
  }

  protected released (): void {
    this.queue = []
    this.queued = 0
  }
}
