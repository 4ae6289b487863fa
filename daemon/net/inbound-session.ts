// The stream a peer opens to us: we read its hello, let the mesh judge it, answer with a welcome, close
// our writing side, then only read. Frames go into a bounded inbox, their envelope decoded on arrival
// (bad bytes are caught at once); they are handed to the core one at a time, a large message's
// events decoded a slice at a time with the event loop given way between slices (codec.ts
// decodeSteps, SessionHost.pace). Above the inbox's high-water mark the stream is paused (yamux then
// stops granting window, so the peer's writer waits) and resumed below half of it, through a gate that
// keeps a pause asked for during a resume (receive-gate.ts). See session-base.ts.

import { MycelError, isMycelError } from '../../protocol/errors.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { errorText } from '../log.js'
import { encodeFrame } from './frame.js'
import { decodeHello, encodeWelcome } from './hello.js'
import { ReceiveGate } from './receive-gate.js'
import { SessionBase } from './session-base.js'

/** A frame in the inbox: decoded, or its envelope decoded and the rest to do in steps (codec.ts). */
interface Inboxed {
  message?: SyncMessage
  steps?: Generator<SyncMessage | undefined, SyncMessage | undefined, void>
  bytes: number
}

export class InboundSession extends SessionBase {
  readonly kind = 'inbound'
  accepted = false
  private inbox: Inboxed[] = []
  private inboxBytes = 0
  private delivering = false
  /** Pauses that hold even when asked for inside a resume (receive-gate.ts). */
  private readonly gate = new ReceiveGate(this.stream)

  get queuedMessages (): number {
    return this.inbox.length
  }

  get queuedBytes (): number {
    return this.inboxBytes
  }

  start (): void {
    this.listen()
  }

  /** Deliver queued frames if the session is up (called by the mesh when it comes up). */
  kick (): void {
    if (!this.delivering && !this.done && this.inbox.length > 0 && this.host.isUp(this.peer)) {
      this.deliverAll().catch(err => this.abort(err))
    }
  }

  protected handshaken (): boolean {
    return this.accepted
  }

  protected onBytes (): void {
    if (!this.accepted) {
      const frame = this.decoder.next()
      if (frame === undefined) return
      const hello = decodeHello(frame)
      this.handshakeDone()
      const refusal = this.host.judgeHello(this, hello)
      this.stream.send(encodeFrame(encodeWelcome(refusal)))
      // Our side of this stream carries only the welcome: close it (the peer's side stays open).
      this.stream.close({ signal: AbortSignal.timeout(this.host.limits.helloTimeoutMs) }).catch(() => {})
      if (refusal !== undefined) {
        // Stop reading: the stream ends when the peer closes its side after reading the refusal; a peer
        // that never does is cut off after one more hello timeout, so it cannot hold the stream slot.
        const linger = setTimeout(() => {
          if (this.stream.status === 'open') this.stream.abort(new MycelError('CLOSED', 'refused session left open'))
        }, this.host.limits.helloTimeoutMs)
        this.stream.addEventListener('close', () => clearTimeout(linger), { once: true })
        this.released()
        this.done = true
        this.host.closed(this)
        return
      }
      this.accepted = true
      this.decoder.maxFrameBytes = this.host.limits.maxFrameBytes
      this.host.opened(this)
    }
    for (let frame = this.decoder.next(); frame !== undefined; frame = this.decoder.next()) {
      this.host.counters.framesIn++
      let entry: Inboxed
      try {
        entry = this.decodeEnvelope(frame)
      } catch (err) {
        this.host.badInput(this.peer, err, 'message')
        this.abort(err)
        return
      }
      // The frame's size stands in for the message's memory in the inbox bound.
      this.inbox.push(entry)
      this.inboxBytes += frame.byteLength
    }
    if (this.overHighWater() && this.gate.pause()) this.host.counters.receivePauses++
    this.kick()
  }

  /** Decoded on arrival so bad bytes are caught even before the session is up: all of it, or its envelope. */
  private decodeEnvelope (frame: Uint8Array): Inboxed {
    const codec = this.host.codec
    if (codec.decodeSteps === undefined) return { message: codec.decode(frame), bytes: frame.byteLength }
    const steps = codec.decodeSteps(frame, () => this.host.due())
    const first = steps.next()
    if (first.done === true) return { message: first.value, bytes: frame.byteLength }
    return { steps, bytes: frame.byteLength }
  }

  /**
   * Hands one inbox entry to the core: at once if decoded, else decoding the rest a stretch at a time
   * (the event loop given way between stretches), a push in parts as they are decoded. Bad bytes
   * midway strike the peer and abort the stream; parts handed on before stay taken.
   */
  private async handOverEntry (entry: Inboxed): Promise<void> {
    if (entry.steps === undefined) {
      if (entry.message !== undefined) await this.handOver(entry.message)
      return
    }
    for (;;) {
      await this.host.pace()
      if (this.done || !this.host.isUp(this.peer)) return
      let r: IteratorResult<SyncMessage | undefined, SyncMessage | undefined>
      try {
        r = entry.steps.next()
      } catch (err) {
        this.host.badInput(this.peer, err, 'message')
        this.abort(err)
        return
      }
      if (r.value !== undefined) await this.handOver(r.value)
      if (r.done === true) return
    }
  }

  private overHighWater (): boolean {
    const limits = this.host.limits
    return this.inbox.length >= limits.receiveQueueMessages || this.inboxBytes >= limits.receiveQueueBytes
  }

  private belowLowWater (): boolean {
    const limits = this.host.limits
    return this.inbox.length <= limits.receiveQueueMessages / 2 && this.inboxBytes <= limits.receiveQueueBytes / 2
  }

  /** Hand frames to the core one at a time, waiting when the handler returns a promise. */
  private async deliverAll (): Promise<void> {
    this.delivering = true
    try {
      while (!this.done && this.inbox.length > 0 && this.host.isUp(this.peer)) {
        const entry = this.inbox.shift() as Inboxed
        this.inboxBytes -= entry.bytes
        await this.handOverEntry(entry)
        this.maybeResume()
        // Messages handed over one after another never wait on I/O: give way now and then.
        await this.host.pace()
      }
    } finally {
      this.delivering = false
      this.maybeResume()
    }
  }

  private async handOver (message: SyncMessage): Promise<void> {
    try {
      const result = this.host.deliver(this.peer, message)
      if (result !== undefined) await result
    } catch (err) {
      // The message was well-formed; a throwing handler is the core's problem, not the stream's.
      this.host.counters.handlerErrors++
      this.host.log.error('receive handler threw', { peer: this.peer, type: message.type, error: errorText(err), code: isMycelError(err) ? err.code : undefined })
    }
  }

  private maybeResume (): void {
    if (!this.done && this.gate.paused && this.belowLowWater()) this.gate.resume()
  }

  protected released (): void {
    this.inbox = []
    this.inboxBytes = 0
  }
}
