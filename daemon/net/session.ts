// The two halves of a sync session with one peer, each on its own /mycel/sync/1.0.0 stream:
//
//   OutboundSession — the stream we opened. We write hello, read the peer's welcome, then only write:
//                     frames from a bounded queue, waiting on onDrain() when the stream is full.
//   InboundSession  — the stream the peer opened. We read its hello, answer with a welcome, close our
//                     writing side, then only read: frames go to a bounded inbox; above its high-water
//                     mark the stream is paused, so yamux stops granting window and the peer's writer
//                     waits on onDrain() (see notes/stack.md, "the read-side trap").
//
// The mesh (mesh.ts) owns both per peer and decides when the session is up. A session never throws into
// the mesh: every failure on a stream is caught, reported through SessionHost, and aborts that stream only.

import { MycelError, isMycelError } from '../../protocol/errors.js'
import { decodeHello, decodeWelcome, encodeWelcome, type Hello, type RefusalReason } from './hello.js'
import { FrameDecoder, encodeFrame } from './frame.js'
import type { MessageCodec } from './codec.js'
import type { NetLimits } from './limits.js'
import type { Counters } from './stats.js'
import { errorText, type LogFn } from './log.js'
import type { SyncMessage } from '../../protocol/messages.js'
import type { Stream, StreamMessageEvent, StreamCloseEvent } from '@libp2p/interface'

/** What a session needs from the mesh. */
export interface SessionHost {
  readonly limits: NetLimits
  readonly counters: Counters
  readonly codec: MessageCodec
  readonly log: LogFn
  /** The peer sent bytes that break the protocol: count and strike. */
  badInput: (peer: string, err: unknown, where: 'hello' | 'frame' | 'message') => void
  /** Inbound: should this hello be accepted? undefined = yes, else the reason to refuse. */
  judgeHello: (session: InboundSession, hello: Hello) => RefusalReason | undefined
  /** Inbound accepted / outbound welcomed. */
  opened: (session: InboundSession | OutboundSession) => void
  /** Outbound: the peer refused our hello. */
  refused: (session: OutboundSession, reason: string | undefined) => void
  closed: (session: InboundSession | OutboundSession) => void
  isUp: (peer: string) => boolean
  deliver: (peer: string, message: SyncMessage) => void | Promise<void>
}

function bytesOf (evt: StreamMessageEvent): Uint8Array {
  const data = evt.data
  return data instanceof Uint8Array ? data : data.subarray()
}

/** The next 'drain', 'idle' or 'close' of a stream, or the signal's abort. */
async function nextEvent (stream: Stream, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      stream.removeEventListener('drain', done)
      stream.removeEventListener('idle', done)
      stream.removeEventListener('close', done)
      signal.removeEventListener('abort', aborted)
      resolve()
    }
    const aborted = (): void => {
      done()
      reject(signal.reason)
    }
    stream.addEventListener('drain', done)
    stream.addEventListener('idle', done)
    stream.addEventListener('close', done)
    signal.addEventListener('abort', aborted)
  })
}

/** Shared lifecycle: one stream, a hello timer, a single close notification. */
abstract class SessionBase {
  readonly peer: string
  readonly stream: Stream
  protected readonly host: SessionHost
  protected readonly decoder: FrameDecoder
  protected done = false
  private helloTimer: ReturnType<typeof setTimeout> | undefined

  constructor (peer: string, stream: Stream, host: SessionHost) {
    this.peer = peer
    this.stream = stream
    this.host = host
    this.decoder = new FrameDecoder(host.limits.maxHelloBytes)
  }

  protected listen (): void {
    this.helloTimer = setTimeout(() => this.helloTimedOut(), this.host.limits.helloTimeoutMs)
    this.stream.addEventListener('message', (evt) => {
      if (this.done) return // a refused or aborted session reads nothing more
      try {
        const bytes = bytesOf(evt)
        this.host.counters.bytesIn += bytes.byteLength
        this.decoder.push(bytes)
        this.onBytes()
      } catch (err) {
        this.host.badInput(this.peer, err, this.handshaken() ? 'frame' : 'hello')
        this.abort(err)
      }
    })
    this.stream.addEventListener('close', (evt: StreamCloseEvent) => this.onClose(evt))
  }

  protected abstract handshaken (): boolean
  protected abstract onBytes (): void

  protected handshakeDone (): void {
    clearTimeout(this.helloTimer)
    this.helloTimer = undefined
  }

  private helloTimedOut (): void {
    this.helloTimer = undefined
    if (this.done || this.handshaken()) return
    this.host.counters.helloTimeouts++
    this.host.badInput(this.peer, new MycelError('TIMEOUT', 'no handshake within the timeout'), 'hello')
    this.abort(new MycelError('TIMEOUT', 'handshake timed out'))
  }

  /** Abort this stream only; counted and logged, never thrown. */
  abort (err: unknown): void {
    if (this.done) return
    this.host.counters.streamsAborted++
    this.host.log('warn', 'sync stream aborted', { peer: this.peer, direction: this.stream.direction, error: errorText(err) })
    try {
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    } catch (abortErr) {
      this.host.log('debug', 'stream abort threw', { peer: this.peer, error: errorText(abortErr) })
    }
    this.finish()
  }

  private onClose (evt: StreamCloseEvent): void {
    if (evt.error !== undefined && evt.local !== true && !this.done) {
      this.host.counters.streamErrors++
      this.host.log('debug', 'sync stream reset by peer', { peer: this.peer, direction: this.stream.direction, error: errorText(evt.error) })
    }
    this.finish()
  }

  protected finish (): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.helloTimer)
    this.released()
    this.host.closed(this as unknown as InboundSession | OutboundSession)
  }

  /** Drop buffered data when the session ends. */
  protected abstract released (): void
}

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
      this.host.counters.framesOut++
      this.writeFrame(encodeFrame(hello))
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
        this.writeFrame(this.takeBatch())
        await this.writable()
      }
    } finally {
      this.writing = false
    }
  }

  /**
   * Wait until the stream's own write buffer is back under its high-water mark. onDrain() alone is not
   * enough: libp2p dispatches 'drain' to every stream of a connection when the socket drains, even to a
   * stream whose yamux send window is exhausted, and a writer trusting it piled 25 MiB into the write
   * buffer of a stream to a paused receiver. So re-check the buffer after every drain, under one deadline
   * for the whole stall.
   */
  private async writable (): Promise<void> {
    const highWater = this.host.limits.streamWriteBufferBytes
    if (!this.stream.writableNeedsDrain && this.stream.writeBufferLength <= highWater) return
    const signal = AbortSignal.timeout(this.host.limits.drainTimeoutMs)
    try {
      while (!this.done && (this.stream.writableNeedsDrain || this.stream.writeBufferLength > highWater)) {
        if (this.stream.status !== 'open') throw new MycelError('CLOSED', 'sync stream closed while writing')
        await nextEvent(this.stream, signal)
      }
    } catch (err) {
      if (!this.done && signal.aborted) this.host.counters.drainTimeouts++
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

  private writeFrame (bytes: Uint8Array): void {
    this.host.counters.bytesOut += bytes.byteLength
    this.stream.send(bytes)
  }

  protected released (): void {
    this.queue = []
    this.queued = 0
  }
}

export class InboundSession extends SessionBase {
  readonly kind = 'inbound'
  accepted = false
  private inbox: Array<{ message: SyncMessage, bytes: number }> = []
  private inboxBytes = 0
  private delivering = false

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
      let message: SyncMessage
      try {
        message = this.host.codec.decode(frame)
      } catch (err) {
        this.host.badInput(this.peer, err, 'message')
        this.abort(err)
        return
      }
      // Decoded on arrival so bad bytes are caught even before the session is up; the frame's size
      // stands in for the message's memory in the inbox bound.
      this.inbox.push({ message, bytes: frame.byteLength })
      this.inboxBytes += frame.byteLength
    }
    if (this.overHighWater() && this.stream.readStatus === 'readable') {
      this.stream.pause()
      this.host.counters.receivePauses++
    }
    this.kick()
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
        const { message, bytes } = this.inbox.shift() as { message: SyncMessage, bytes: number }
        this.inboxBytes -= bytes
        await this.handOver(message)
        this.maybeResume()
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
      this.host.log('error', 'receive handler threw', { peer: this.peer, type: message.type, error: errorText(err), code: isMycelError(err) ? err.code : undefined })
    }
  }

  private maybeResume (): void {
    if (!this.done && this.stream.readStatus === 'paused' && this.belowLowWater()) this.stream.resume()
  }

  protected released (): void {
    this.inbox = []
    this.inboxBytes = 0
  }
}
