// Writing frames to and reading one frame from a libp2p stream, the same way for every protocol.
//
// sendFrame is the one place a writer waits for a stream to drain. `stream.onDrain()` alone is not a
// backpressure signal: libp2p dispatches 'drain' to every stream of a connection when the socket
// drains, even to a stream whose yamux send window is exhausted, and a writer trusting it piled 25 MiB
// into the write buffer of a stream to a paused receiver (docs/libp2p-notes.md). So after every
// 'drain' the stream's own write buffer is checked again, and the wait goes on until it is back under
// the writer's high-water mark, the stream closes, or the deadline passes.
//
// readOneFrame reads exactly one frame with the cap checked on its length prefix (frame.ts) and a
// deadline on the read, so a silent or endless sender costs a bounded wait and a bounded buffer.

import type { Stream } from '@libp2p/interface'
import { MycelError } from '../../protocol/errors.js'
import { FrameDecoder } from './frame.js'

export interface SendOptions {
  /** The writer waits while the stream's write buffer holds more than this. */
  highWaterBytes: number
  /** Give up waiting (throw TIMEOUT) after this long; the deadline starts only if the write has to wait. */
  timeoutMs?: number
  /** Give up waiting when this aborts (throws its reason). */
  signal?: AbortSignal
}

/** Sends one encoded frame (or several joined), then waits until the stream can take more. Throws CLOSED, TIMEOUT or the signal's reason. */
export async function sendFrame (stream: Stream, frame: Uint8Array, options: SendOptions): Promise<void> {
  if (stream.status !== 'open') throw new MycelError('CLOSED', 'the stream is closed')
  stream.send(frame)
  await writable(stream, options)
}

/** Resolves once the stream's own write buffer is back under the high-water mark (see the top of this file). */
export async function writable (stream: Stream, options: SendOptions): Promise<void> {
  const full = (): boolean => stream.writableNeedsDrain || stream.writeBufferLength > options.highWaterBytes
  if (!full()) return
  const deadline = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs)
  const signal = deadline === undefined ? options.signal : options.signal === undefined ? deadline : AbortSignal.any([options.signal, deadline])
  while (full()) {
    if (stream.status !== 'open' || stream.writeStatus !== 'writable') throw new MycelError('CLOSED', 'the stream closed while writing')
    if (deadline?.aborted === true) throw new MycelError('TIMEOUT', `the stream did not drain within ${options.timeoutMs} ms`, { cause: deadline.reason })
    signal?.throwIfAborted()
    await nextEvent(stream, signal)
  }
}

/** The stream's next 'drain', 'idle' or 'close', or the signal's abort (which resolves too: the caller checks). */
async function nextEvent (stream: Stream, signal: AbortSignal | undefined): Promise<void> {
  await new Promise<void>(resolve => {
    const done = (): void => {
      stream.removeEventListener('drain', done)
      stream.removeEventListener('idle', done)
      stream.removeEventListener('close', done)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    stream.addEventListener('drain', done)
    stream.addEventListener('idle', done)
    stream.addEventListener('close', done)
    signal?.addEventListener('abort', done)
  })
}

/** Reads exactly one frame; throws TOO_LARGE / DECODE_FAILED (bad prefix), TIMEOUT or CLOSED. */
export async function readOneFrame (stream: Stream, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
  const decoder = new FrameDecoder(maxBytes)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    stream.abort(new MycelError('TIMEOUT', `no frame within ${timeoutMs} ms`))
  }, timeoutMs)
  try {
    for await (const chunk of stream) {
      decoder.push(chunk instanceof Uint8Array ? chunk : chunk.subarray())
      const frame = decoder.next()
      if (frame !== undefined) return frame
    }
  } catch (err) {
    if (timedOut) throw new MycelError('TIMEOUT', `no frame within ${timeoutMs} ms`)
    throw err
  } finally {
    clearTimeout(timer)
  }
  if (timedOut) throw new MycelError('TIMEOUT', `no frame within ${timeoutMs} ms`)
  throw new MycelError('CLOSED', 'the stream ended before a complete frame')
}
