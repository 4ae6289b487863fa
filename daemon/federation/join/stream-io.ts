// One frame in, one frame out, on a libp2p stream, with the frame cap checked
// on the length prefix before any payload is buffered (daemon/net/frame.ts)
// and a deadline on the read, so a silent or endless sender costs a bounded
// wait and a bounded buffer.

import type { Stream } from '@libp2p/interface'
import { MycelError } from '../../../protocol/errors.js'
import { encodeFrame, FrameDecoder } from '../../net/frame.js'

/** Reads exactly one frame; throws TOO_LARGE / DECODE_FAILED (bad prefix), TIMEOUT or CLOSED. */
export async function readFrame (stream: Stream, maxBytes: number, timeoutMs: number): Promise<Uint8Array> {
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

/** Writes one frame, waiting for the stream to drain if its buffer is full. */
export async function writeFrame (stream: Stream, payload: Uint8Array): Promise<void> {
  if (!stream.send(encodeFrame(payload))) await stream.onDrain()
}
