// The receive gate against real yamux streams (an in-memory connection, mycel's window and read-buffer
// limits): a reader that pauses again while resume() hands it the bytes read during the pause.
import { describe, expect, it } from 'vitest'
import { yamux } from '@libp2p/yamux'
import { multiaddrConnectionPair } from '@libp2p/utils'
import type { Stream } from '@libp2p/interface'
import { ReceiveGate } from '../../../daemon/net/receive-gate.js'
import { DEFAULT_LIMITS } from '../../../daemon/net/limits.js'

const KiB = 1024
const MiB = 1024 * KiB

async function pair (): Promise<{ sender: Stream, receiver: Stream }> {
  const [out, inn] = multiaddrConnectionPair()
  const init = {
    streamOptions: { maxStreamWindowSize: DEFAULT_LIMITS.yamuxMaxWindowBytes, maxReadBufferLength: DEFAULT_LIMITS.yamuxMaxReadBufferBytes }
  }
  const client = yamux(init)().createStreamMuxer(out)
  const server = yamux(init)().createStreamMuxer(inn)
  const accepted = new Promise<Stream>(resolve => server.addEventListener('stream', evt => resolve(evt.detail), { once: true }))
  const sender = await client.createStream()
  sender.send(new Uint8Array(1)) // the stream reaches the server with its first data frame
  return { sender, receiver: await accepted }
}

/**
 * Sends `total` bytes as fast as the window allows; the receiver queues what arrives, pauses at 128 KiB
 * queued and resumes at 64 KiB, taking 32 KiB a millisecond: the bytes buffered while paused (a window,
 * 256 KiB at first) cross the high-water mark again during every resume. Returns how the stream ended
 * and the largest read buffer seen.
 */
async function flow (pause: (s: Stream) => void, resume: (s: Stream) => void, total = 32 * MiB): Promise<{ error: unknown, received: number, maxReadBuffer: number }> {
  const { sender, receiver } = await pair()
  let queued = 0
  let error: unknown
  let maxReadBuffer = 0
  receiver.addEventListener('close', (evt: any) => { error = evt.error ?? error })
  receiver.addEventListener('message', (evt: any) => {
    queued += evt.data.byteLength
    if (queued >= 128 * KiB) pause(receiver)
  })
  const chunk = new Uint8Array(64 * KiB)
  const writer = (async () => {
    for (let sent = 0; sent < total && error === undefined && sender.status === 'open'; sent += chunk.byteLength) {
      if (!sender.send(chunk)) {
        await new Promise(resolve => {
          sender.addEventListener('drain', resolve, { once: true })
          sender.addEventListener('close', resolve, { once: true })
        })
      }
    }
  })()
  let received = 0
  while (received < total && error === undefined) {
    await new Promise(resolve => setTimeout(resolve, 1))
    maxReadBuffer = Math.max(maxReadBuffer, receiver.readBufferLength)
    const take = Math.min(queued, 32 * KiB)
    queued -= take
    received += take
    if (queued <= 64 * KiB) resume(receiver)
  }
  if (error !== undefined) sender.abort(new Error('receiver gone'))
  await writer
  return { error, received, maxReadBuffer }
}

describe('receive gate', () => {
  it('without it, pausing inside resume() leaves yamux granting window until the stream aborts itself (why the gate exists)', async () => {
    const r = await flow(
      s => { if (s.readStatus === 'readable') s.pause() },
      s => { if (s.readStatus === 'paused') s.resume() }
    )
    expect(String(r.error)).toMatch(/Read buffer length of \d+ exceeded limit/)
    expect(r.received).toBeLessThan(32 * MiB)
  })

  it('with it, every byte arrives, the stream stays open and the read buffer holds at most one window', async () => {
    const gates = new WeakMap<Stream, ReceiveGate>()
    const gate = (s: Stream): ReceiveGate => gates.get(s) ?? gates.set(s, new ReceiveGate(s)).get(s) as ReceiveGate
    const r = await flow(s => gate(s).pause(), s => gate(s).resume())
    expect(r.error).toBeUndefined()
    expect(r.received).toBe(32 * MiB)
    expect(r.maxReadBuffer).toBeLessThanOrEqual(DEFAULT_LIMITS.yamuxMaxWindowBytes)
  })

  it('a pause asked for outside a resume is made at once; a stream not being read is left alone', () => {
    const calls: string[] = []
    const stream = { readStatus: 'readable', pause () { calls.push('pause'); this.readStatus = 'paused' }, resume () { calls.push('resume'); this.readStatus = 'readable' } }
    const gate = new ReceiveGate(stream)
    expect(gate.pause()).toBe(true)
    expect(gate.paused).toBe(true)
    expect(gate.pause()).toBe(false) // paused already: nothing to count
    gate.resume()
    stream.readStatus = 'closed'
    expect(gate.pause()).toBe(false)
    gate.resume()
    expect(calls).toEqual(['pause', 'resume'])
  })
})
