// The disk side of a small download, on the main thread: the same requests
// and answers as the worker thread (chunk-worker.js) — verify each chunk
// against the manifest, write it at its offset, feed the whole-blob hash in
// chunk order, fsync and check the digest at finish — for blobs of at most
// INLINE_MAX_BYTES. Starting a worker thread costs tens of milliseconds of CPU
// (a fresh V8 isolate), which for a package tarball of a few KiB is nearly all
// the fetch; hashing one such chunk here costs microseconds. File I/O goes
// through fs/promises (the thread pool), so the event loop never waits on the
// disk. Requests are handled one at a time, in order, as the worker does.

import { createHash } from 'node:crypto'
import { open, type FileHandle } from 'node:fs/promises'
import type { ChunkWorkerData, ChunkWorkerReply, ChunkWorkerRequest } from './chunk-worker-protocol.js'

/** Blobs up to this size are downloaded without a worker thread: one default chunk (constants.ts DEFAULT_CHUNK_BYTES). */
export const INLINE_MAX_BYTES = 1024 * 1024

type Request = ChunkWorkerRequest extends infer R ? R extends ChunkWorkerRequest ? Omit<R, 'seq'> : never : never
type Reply = Omit<ChunkWorkerReply, 'seq'>

export class InlineChunkDisk {
  private readonly n: number
  private readonly have: Uint8Array
  private readonly whole = createHash('sha256')
  /** Verified chunks whose turn in the whole-blob hash has not come (the blob is small: all may wait here). */
  private readonly ahead = new Map<number, Uint8Array>()
  private hashed = 0
  private file: FileHandle | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor (private readonly d: ChunkWorkerData) {
    this.n = d.hashes.byteLength / 32
    this.have = new Uint8Array(this.n)
  }

  /** Runs `msg` after every request before it. */
  async run (msg: Request): Promise<Reply> {
    const next = this.queue.then(async () => await this.handle(msg))
    this.queue = next.catch(() => {})
    return await next
  }

  private async handle (msg: Request): Promise<Reply> {
    switch (msg.op) {
      case 'open': return await this.open(msg.claimed)
      case 'chunk': return await this.chunk(msg.index, msg.data)
      case 'finish': return await this.finish()
      case 'close': return await this.close()
    }
  }

  private async open (claimed: Uint8Array | undefined): Promise<Reply> {
    try {
      this.file = await open(this.d.path, 'r+')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      this.file = await open(this.d.path, 'w+', 0o644)
    }
    // Restart: believe the bitmap only for chunks whose bytes still hash right.
    for (let i = 0; claimed !== undefined && i < this.n && i < claimed.byteLength; i++) {
      if (claimed[i] !== 1) continue
      const view = await this.readChunk(i)
      if (view === undefined || !this.verifies(i, view)) continue
      this.have[i] = 1
      this.ahead.set(i, view)
    }
    this.advance()
    return { have: Uint8Array.from(this.have) }
  }

  private async chunk (i: number, data: Uint8Array): Promise<Reply> {
    if (this.have[i] === 1) return { ok: true }
    if (!this.verifies(i, data)) return { ok: false }
    const [start] = this.range(i)
    let off = 0
    while (off < data.byteLength) off += (await this.fh().write(data, off, data.byteLength - off, start + off)).bytesWritten
    this.have[i] = 1
    this.ahead.set(i, data)
    this.advance()
    return { ok: true }
  }

  private async finish (): Promise<Reply> {
    await this.fh().truncate(this.d.size)
    await this.fh().sync()
    this.advance()
    return { ok: this.hashed === this.n && this.whole.digest().equals(Buffer.from(this.d.digest)) }
  }

  private async close (): Promise<Reply> {
    await this.file?.close()
    this.file = undefined
    this.ahead.clear()
    return {}
  }

  private advance (): void {
    for (let held = this.ahead.get(this.hashed); held !== undefined; held = this.ahead.get(this.hashed)) {
      this.ahead.delete(this.hashed)
      this.whole.update(held)
      this.hashed++
    }
  }

  private verifies (i: number, view: Uint8Array): boolean {
    const [s, e] = this.range(i)
    if (view.byteLength !== e - s) return false
    return createHash('sha256').update(view).digest().equals(Buffer.from(this.d.hashes.subarray(i * 32, i * 32 + 32)))
  }

  private async readChunk (i: number): Promise<Uint8Array | undefined> {
    const [s, e] = this.range(i)
    const buf = Buffer.alloc(e - s)
    const { bytesRead } = await this.fh().read(buf, 0, e - s, s)
    return bytesRead === e - s ? buf : undefined
  }

  private range (i: number): [number, number] {
    const s = i * this.d.chunkSize
    return [s, Math.min(this.d.size, s + this.d.chunkSize)]
  }

  private fh (): FileHandle {
    if (this.file === undefined) throw new Error('assertion failed: the partial file is not open')
    return this.file
  }
}
