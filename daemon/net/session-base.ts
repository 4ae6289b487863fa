// What the two halves of a sync session share. A session with one peer is two /mycel/sync/1.0.0
// streams, one each way:
//
//   OutboundSession (outbound-session.ts) — the stream we opened. We write hello, read the peer's
//                     welcome, then only write: frames from a bounded queue, through sendFrame's drain wait.
//   InboundSession  (inbound-session.ts)  — the stream the peer opened. We read its hello, answer with a
//                     welcome, close our writing side, then only read: frames go to a bounded inbox;
//                     above its high-water mark the stream is paused, so yamux stops granting window and
//                     the peer's writer waits (see docs/libp2p-notes.md, "read side").
//
// The mesh (mesh.ts) owns both per peer and decides when the session is up. A session never throws into
// the mesh: every failure on a stream is caught, reported through SessionHost, and aborts that stream only.
// SessionBase is the lifecycle both share: one stream, a hello deadline, one close notification.

import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { MycelError } from '../../protocol/errors.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { errorText, type Logger } from '../log.js'
import type { MessageCodec } from './codec.js'
import { FrameDecoder } from './frame.js'
import type { Hello, RefusalReason } from './hello.js'
import type { NetLimits } from './limits.js'
import type { Counters } from './stats.js'

/** What a session needs from the mesh. */
export interface SessionHost {
  readonly limits: NetLimits
  readonly counters: Counters
  readonly codec: MessageCodec
  readonly log: Logger
  /** The peer sent bytes that break the protocol: count and strike. */
  badInput: (peer: string, err: unknown, where: 'hello' | 'frame' | 'message') => void
  /** Inbound: should this hello be accepted? undefined = yes, else the reason to refuse. */
  judgeHello: (session: SessionBase, hello: Hello) => RefusalReason | undefined
  /** Inbound accepted / outbound welcomed. */
  opened: (session: SessionBase) => void
  /** Outbound: the peer refused our hello. */
  refused: (session: SessionBase, reason: string | undefined) => void
  closed: (session: SessionBase) => void
  isUp: (peer: string) => boolean
  deliver: (peer: string, message: SyncMessage) => void | Promise<void>
  /** Gives way to the event loop if the current run has been long (daemon/loop-budget.ts). */
  pace: () => Promise<void>
  /** Whether the current run has been long: time to stop a step and pace(). */
  due: () => boolean
}

export function bytesOf (evt: StreamMessageEvent): Uint8Array {
  const data = evt.data
  return data instanceof Uint8Array ? data : data.subarray()
}

/** Shared lifecycle: one stream, a hello timer, a single close notification. */
export abstract class SessionBase {
  abstract readonly kind: 'inbound' | 'outbound'
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
    this.host.log.warn('sync stream aborted', { peer: this.peer, direction: this.stream.direction, error: errorText(err) })
    try {
      this.stream.abort(err instanceof Error ? err : new Error(String(err)))
    } catch (abortErr) {
      this.host.log.debug('stream abort threw', { peer: this.peer, error: errorText(abortErr) })
    }
    this.finish()
  }

  private onClose (evt: StreamCloseEvent): void {
    if (evt.error !== undefined && !this.done) {
      this.host.counters.streamErrors++
      if (evt.local === true) {
        // The stream aborted itself (a buffer over its limit, the connection gone): not a peer's doing,
        // and nothing else would say why a member's session ended.
        this.host.log.warn('sync stream aborted by the transport', { peer: this.peer, direction: this.stream.direction, error: errorText(evt.error) })
      } else {
        this.host.log.debug('sync stream reset by peer', { peer: this.peer, direction: this.stream.direction, error: errorText(evt.error) })
      }
    }
    this.finish()
  }

  protected finish (): void {
    if (this.done) return
    this.done = true
    clearTimeout(this.helloTimer)
    this.released()
    this.host.closed(this)
  }

  /** Drop buffered data when the session ends. */
  protected abstract released (): void
}
