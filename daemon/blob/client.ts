// The asking side of /mycel/blob/1.0.0: a PeerChannel is one stream to one
// member carrying pipelined requests. Replies come back in request order, so
// the channel keeps a FIFO of pending requests and hands each chunk to the
// callback of the request at its head; the read loop awaits that callback
// (verify + write) before reading on, and the caller bounds the requests in
// flight — together that bounds what one holder can make us buffer.
// A holder silent for STALL_TIMEOUT_MS with requests pending is cut off.

import type { Stream } from '@libp2p/interface'
import { MycelError, type ErrorCode } from '../../protocol/errors.js'
import { CHUNKS_PROCESSING_MAX, MAX_BLOB_FRAME_BYTES, STALL_TIMEOUT_MS } from './constants.js'
import { allocOwned, readFrames } from '../net/frame.js'
import { sendFrame } from '../net/stream-io.js'
import { decodePayload, encodeControl, unpackBits, type Reply } from './wire.js'

type OnChunk = (index: number, data: Uint8Array) => Promise<void>
export type Holding = 'complete' | 'partial' | 'none'
export interface ChunkBitmap { have: Uint8Array, coming: Uint8Array }
/** A spare buffer of exactly `bytes` for the next frame (one the disk side is done with), or undefined. */
type Reuse = (bytes: number) => Uint8Array | undefined

interface Pending {
  id: number
  op: 'have' | 'manifest' | 'get' | 'bitmap'
  onChunk?: OnChunk
  reuse?: Reuse
  resolve: (reply: Reply) => void
  reject: (err: Error) => void
}

export interface ChannelInit {
  peer: string
  stallTimeoutMs?: number
  /**
   * Chunk callbacks still running, shared by every channel of one download (they all feed one disk
   * worker), so what waits to be verified and written does not grow with the number of holders.
   * Default: a set of this channel's own.
   */
  processing?: Set<Promise<void>>
}

export class PeerChannel {
  readonly peer: string
  private readonly stream: Stream
  private readonly pending: Pending[] = []
  /**
   * Chunk callbacks still running, whatever request they belong to (verify + write overlap the
   * reception of the next chunks). Bounded: beyond CHUNKS_PROCESSING_MAX the channel stops reading,
   * so a slow disk holds the stream back instead of piling chunks up in memory.
   */
  private readonly processing: Set<Promise<void>>
  private nextId = 1
  /** The latest request whose reply was read to its end (sent as `ack` with the next get). */
  private acked = 0
  private failure: Error | undefined
  private lastFrameMs = Date.now()
  private readonly timer: NodeJS.Timeout
  private readonly stallTimeoutMs: number

  constructor (init: ChannelInit, stream: Stream) {
    this.peer = init.peer
    this.stream = stream
    this.stallTimeoutMs = init.stallTimeoutMs ?? STALL_TIMEOUT_MS
    this.processing = init.processing ?? new Set()
    this.timer = setInterval(() => { this.checkStall() }, Math.max(100, this.stallTimeoutMs / 4))
    this.timer.unref()
    this.readLoop().catch(err => { this.fail(err) })
  }

  get inFlight (): number { return this.pending.length }
  get failed (): boolean { return this.failure !== undefined }

  async have (digests: Uint8Array[]): Promise<boolean[]> {
    return (await this.holdings(digests)).map(h => h === 'complete')
  }

  /** Per digest: the whole blob is there, part of it (a download under way), or nothing. */
  async holdings (digests: Uint8Array[]): Promise<Holding[]> {
    const reply = await this.request('have', { digests })
    const { have, partial } = reply as { have?: unknown, partial?: unknown }
    if (reply.op !== 'have' || !Array.isArray(have) || have.length !== digests.length) throw MycelError.decode('bad have reply')
    const part = Array.isArray(partial) && partial.length === digests.length ? partial : []
    return have.map((h, i) => h === true ? 'complete' : part[i] === true ? 'partial' : 'none')
  }

  /**
   * Which chunks of a blob of `n` chunks the peer holds (one byte each, 1 = held) and which it is
   * fetching; undefined once it holds them all.
   */
  async bitmap (digest: Uint8Array, n: number): Promise<ChunkBitmap | undefined> {
    const reply = await this.request('bitmap', { digest })
    if (reply.op !== 'bitmap') throw MycelError.decode('bad bitmap reply')
    if (reply.complete === true) return undefined
    return {
      have: reply.bits instanceof Uint8Array ? unpackBits(reply.bits, n) : new Uint8Array(n),
      coming: reply.coming instanceof Uint8Array ? unpackBits(reply.coming, n) : new Uint8Array(n)
    }
  }

  async manifest (digest: Uint8Array): Promise<Uint8Array | undefined> {
    const reply = await this.request('manifest', { digest })
    if (reply.op !== 'manifest') throw MycelError.decode('bad manifest reply')
    return reply.bytes instanceof Uint8Array ? reply.bytes : undefined
  }

  /**
   * Chunks from..to-1, each handed to onChunk in order; resolves at the server's `end` (onChunk calls
   * may still run). Each chunk's bytes sit in a buffer of their own (from `reuse` or fresh) that
   * onChunk may keep or give away.
   */
  async get (digest: Uint8Array, from: number, to: number, onChunk: OnChunk, reuse?: Reuse): Promise<void> {
    const reply = await this.request('get', this.acked === 0 ? { digest, from, to } : { digest, from, to, ack: this.acked }, onChunk, reuse)
    if (reply.op !== 'end') throw MycelError.decode('bad get reply')
  }

  /** Ends the channel gracefully (pending requests are rejected with CLOSED). */
  close (): void {
    if (this.failure === undefined) {
      this.failure = new MycelError('CLOSED', 'channel closed')
      clearInterval(this.timer)
      this.stream.close().catch(() => { this.stream.abort(new Error('close failed')) })
    }
    for (const p of this.pending.splice(0)) p.reject(this.failure)
  }

  abort (err: Error): void {
    this.fail(err)
  }

  private async request (op: Pending['op'], fields: Record<string, unknown>, onChunk?: OnChunk, reuse?: Reuse): Promise<Reply> {
    if (this.failure !== undefined) throw this.failure
    const id = this.nextId++
    const replied = new Promise<Reply>((resolve, reject) => {
      if (this.pending.length === 0) this.lastFrameMs = Date.now()
      this.pending.push({ id, op, onChunk, reuse, resolve, reject })
    })
    // If the write below fails, nobody awaits `replied`, yet fail() rejects it:
    // handled here, or the rejection would be unhandled and end the process.
    replied.catch(() => {})
    try {
      await sendFrame(this.stream, encodeControl({ op, id, ...fields } as unknown as Reply), { highWaterBytes: MAX_BLOB_FRAME_BYTES })
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
    const reply = await replied
    if (reply.op === 'error') {
      const code = (['NOT_FOUND', 'USAGE', 'UNAVAILABLE'].includes(reply.code) ? reply.code : 'UNAVAILABLE') as ErrorCode
      throw new MycelError(code, `${this.peer}: ${String(reply.message)}`)
    }
    return reply
  }

  private async readLoop (): Promise<void> {
    const alloc = (bytes: number): Uint8Array => this.pending[0]?.reuse?.(bytes) ?? allocOwned(bytes)
    for await (const payload of readFrames(this.stream, MAX_BLOB_FRAME_BYTES, alloc)) {
      this.lastFrameMs = Date.now()
      const msg = decodePayload(payload)
      const head = this.pending[0]
      if (head === undefined || msg.id !== head.id) throw MycelError.decode(`unexpected blob frame for request ${msg.id}`)
      if (msg.op === 'chunk') {
        if (head.onChunk === undefined) throw MycelError.decode('chunk frame for a request that asked for none')
        // The set may be shared with other channels (ChannelInit.processing): one that read a frame
        // while a slot was free can find it taken by now, so it waits again before handing over. The
        // loop is inline: between its last check and the add below nothing else may run.
        while (this.processing.size >= CHUNKS_PROCESSING_MAX) await Promise.race(this.processing).catch(() => {})
        const work: Promise<void> = head.onChunk(msg.index, msg.data).finally(() => { this.processing.delete(work) })
        this.processing.add(work)
        work.catch(err => { this.fail(err) })
        while (this.processing.size >= CHUNKS_PROCESSING_MAX) await Promise.race(this.processing).catch(() => {}) // full: stop reading
        this.lastFrameMs = Date.now()
        continue
      }
      // Answered at the server's `end`, while its last chunks may still be verified and written: the
      // caller's next request goes out without waiting for the disk (a failure there fails the channel).
      this.pending.shift()
      this.acked = head.id
      head.resolve(msg as Reply)
    }
    throw new MycelError('CLOSED', `${this.peer} closed the blob stream`)
  }

  private checkStall (): void {
    if (this.pending.length > 0 && Date.now() - this.lastFrameMs > this.stallTimeoutMs) {
      this.fail(new MycelError('TIMEOUT', `${this.peer} sent nothing for ${this.stallTimeoutMs} ms`))
    }
  }

  private fail (err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    if (this.failure === undefined) {
      this.failure = error
      clearInterval(this.timer)
      if (this.stream.status === 'open') this.stream.abort(error)
    }
    for (const p of this.pending.splice(0)) p.reject(this.failure)
  }
}
