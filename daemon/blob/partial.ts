// A download in progress: `<dir>/blobs/partial/<hex>` holds chunks written at
// their offsets as they arrive (in any order), `<hex>.bitmap` one byte per
// chunk (1 = written and verified). The bitmap is replaced (written beside, renamed) at most every
// BITMAP_FLUSH_MS and at close, without fsync: on resume every
// chunk it claims is re-hashed against the manifest, so a bitmap that got
// ahead of the data after a crash costs a re-fetch, never a wrong byte. Only
// when every chunk is present is the file fsynced, the whole digest checked
// (hashed on the way in, in chunk order, so there is no second pass), and the
// file handed to the blob store (rename into place). finish() runs once.
//
// The hashing and the file itself belong to a worker thread (chunk-worker.js):
// accept() hands it a chunk, which it verifies against the manifest, writes and
// feeds to the whole-blob hash, so the main thread only receives the stream.
// A blob of at most INLINE_MAX_BYTES gets the same service on the main thread
// instead (inline-chunk-disk.ts): for it a worker's start would cost more than
// the whole download.

import { webcrypto } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { BITMAP_FLUSH_MS, PARTIAL_FLUSH_BYTES } from './constants.js'
import type { ChunkWorkerData, ChunkWorkerReply, ChunkWorkerRequest } from './chunk-worker-protocol.js'
import { chunkCount, chunkRange, type Manifest } from './manifest.js'
import { InlineChunkDisk, INLINE_MAX_BYTES } from './inline-chunk-disk.js'

/**
 * Chunks the worker holds in memory for the in-order hash (beyond them it reads chunks back from the
 * page cache), and spare buffers kept for the next frames: 4 MiB each at 1 MiB chunks. Chunks of one
 * holder arrive in order, so few are ever ahead. (With 8 + 8 one bench run peaked at 200 MiB.)
 */
const MAX_HASH_AHEAD_CHUNKS = 4
/** have[i]: 0 missing, 1 written and verified, 2 being verified and written (persisted bitmaps only trust 1). */
const WRITING = 2

/** The worker's code: a file of its own next to this one (in the sources, and in dist/ where tsc copies it). */
const CHUNK_WORKER_URL = new URL('./chunk-worker.js', import.meta.url)

type Pending = { resolve: (r: ChunkWorkerReply) => void, reject: (err: Error) => void }
/** A request as the caller writes it (call() numbers it). */
type RequestBody = ChunkWorkerRequest extends infer R ? R extends ChunkWorkerRequest ? Omit<R, 'seq'> : never : never

export interface AcceptOptions {
  /**
   * The caller gives `data`'s whole ArrayBuffer up: it is moved to the worker thread instead of copied
   * and is unusable afterwards. Only for buffers nothing else refers to (a frame read off the wire).
   */
  transfer?: boolean
}

export class PartialBlob {
  readonly path: string
  readonly manifest: Manifest
  readonly have: Uint8Array
  private worker: Worker | undefined
  /** Instead of the worker, for small blobs. */
  private inline: InlineChunkDisk | undefined
  private failure: Error | undefined
  private seq = 0
  private readonly calls = new Map<number, Pending>()
  private flushedMs = Date.now()
  /** The bitmap write in flight, if any: the next one waits for it (both go through one temp file). */
  private bitmapWrite: Promise<void> = Promise.resolve()
  private count = 0
  /** Buffers the worker handed back, for the next frames read off the wire (see takeFreeBuffer). */
  private readonly spare: ArrayBuffer[] = []

  private constructor (path: string, manifest: Manifest) {
    this.path = path
    this.manifest = manifest
    this.have = new Uint8Array(chunkCount(manifest.size, manifest.chunkSize))
  }

  static dirOf (blobsRoot: string): string { return join(blobsRoot, 'partial') }

  /** Opens (or creates) the partial file of a blob, keeping every chunk already here that still verifies. */
  static async open (blobsRoot: string, manifest: Manifest): Promise<PartialBlob> {
    const dir = PartialBlob.dirOf(blobsRoot)
    await mkdir(dir, { recursive: true })
    const p = new PartialBlob(join(dir, Buffer.from(manifest.digest).toString('hex')), manifest)
    let claimed: Uint8Array | undefined
    try {
      claimed = new Uint8Array(await readFile(`${p.path}.bitmap`))
      if (claimed.byteLength !== p.have.length) claimed = undefined
    } catch {}
    p.startWorker()
    try {
      const reply = await p.call({ op: 'open', claimed })
      const have = reply.have as Uint8Array
      for (let i = 0; i < p.have.length; i++) if (have[i] === 1) { p.have[i] = 1; p.count++ }
    } catch (err) {
      await p.close().catch(() => {})
      throw err
    }
    return p
  }

  get chunksHave (): number { return this.count }
  get complete (): boolean { return this.count === this.have.length }
  get bytesHave (): number {
    let n = 0
    for (let i = 0; i < this.have.length; i++) if (this.have[i] === 1) n += chunkRange(this.manifest, i)[1] - chunkRange(this.manifest, i)[0]
    return n
  }

  /** True iff `data` is chunk i per the manifest (on this thread; accept() checks on the worker). */
  async verifies (i: number, data: Uint8Array): Promise<boolean> {
    const [start, end] = chunkRange(this.manifest, i)
    if (data.byteLength !== end - start) return false
    const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', data))
    return Buffer.from(digest).equals(Buffer.from(this.manifest.chunks[i] as Uint8Array))
  }

  /**
   * Verifies chunk i against the manifest and, only if it matches, writes it at its offset. Resolves
   * true once written, false if it did not verify (nothing written) or is already here or on its way.
   */
  async accept (i: number, data: Uint8Array, options: AcceptOptions = {}): Promise<boolean> {
    if (this.have[i] !== 0) return false
    this.have[i] = WRITING // a second copy meanwhile is not written twice
    let reply: ChunkWorkerReply
    try {
      // A copy otherwise (not data.slice(): on a Buffer that is a view of the same memory).
      const owned = options.transfer === true ? data : new Uint8Array(data)
      reply = await this.call({ op: 'chunk', index: i, data: owned }, [owned.buffer as ArrayBuffer])
    } catch (err) {
      this.have[i] = 0
      throw err
    }
    for (const b of reply.free ?? []) if (this.spare.length < MAX_HASH_AHEAD_CHUNKS) this.spare.push(b)
    if (reply.ok !== true) {
      this.have[i] = 0
      return false
    }
    this.have[i] = 1
    this.count++
    if (Date.now() - this.flushedMs >= BITMAP_FLUSH_MS) await this.flushBitmap()
    return true
  }

  /**
   * A buffer of exactly `bytes` the worker is done with, if one is spare: the next frame is read into
   * it instead of a fresh one (no allocation, no page faults, no garbage per chunk).
   */
  spareBuffer (bytes: number): Uint8Array | undefined {
    const k = this.spare.findIndex(b => b.byteLength === bytes)
    return k < 0 ? undefined : new Uint8Array(this.spare.splice(k, 1)[0] as ArrayBuffer)
  }

  /** fsyncs and checks the whole digest; true iff the file is exactly the blob. */
  async finish (): Promise<boolean> {
    return (await this.call({ op: 'finish' })).ok === true
  }

  async close (): Promise<void> {
    const inline = this.inline
    if (inline !== undefined) {
      await this.flushBitmap().catch(() => {})
      this.inline = undefined
      await inline.run({ op: 'close' })
      return
    }
    const worker = this.worker
    if (worker === undefined) return
    await this.flushBitmap().catch(() => {})
    try {
      if (this.failure === undefined) await this.call({ op: 'close' })
    } finally {
      this.worker = undefined
      this.spare.length = 0
      await worker.terminate()
    }
  }

  /** Removes the partial file and its bitmap (after it was adopted, or to start over). */
  async discard (): Promise<void> {
    await this.close().catch(() => {})
    await rm(this.path, { force: true })
    await rm(`${this.path}.bitmap`, { force: true })
    await rm(`${this.path}.bitmap.tmp`, { force: true })
  }

  private startWorker (): void {
    const m = this.manifest
    const hashes = new Uint8Array(m.chunks.length * 32)
    m.chunks.forEach((h, i) => { hashes.set(h, i * 32) })
    const workerData: ChunkWorkerData = { path: this.path, size: m.size, chunkSize: m.chunkSize, hashes, digest: m.digest, aheadMax: MAX_HASH_AHEAD_CHUNKS, flushEveryBytes: PARTIAL_FLUSH_BYTES }
    if (m.size <= INLINE_MAX_BYTES) {
      this.inline = new InlineChunkDisk(workerData)
      return
    }
    const worker = new Worker(CHUNK_WORKER_URL, { workerData })
    worker.on('message', (reply: ChunkWorkerReply) => {
      const call = this.calls.get(reply.seq)
      if (call === undefined) return
      this.calls.delete(reply.seq)
      if (reply.error !== undefined) call.reject(new Error(`partial blob worker: ${reply.error}`))
      else call.resolve(reply)
    })
    const down = (err: Error): void => {
      this.failure ??= err
      for (const call of this.calls.values()) call.reject(this.failure)
      this.calls.clear()
    }
    worker.on('error', down)
    worker.on('exit', code => { down(new Error(`partial blob worker exited (${code})`)) })
    this.worker = worker
  }

  private async call (msg: RequestBody, transfer: ArrayBuffer[] = []): Promise<ChunkWorkerReply> {
    if (this.inline !== undefined) return { seq: ++this.seq, ...await this.inline.run(msg) }
    const worker = this.worker
    if (worker === undefined) throw new Error('assertion failed: partial blob is closed')
    if (this.failure !== undefined) throw this.failure
    const seq = ++this.seq
    return await new Promise<ChunkWorkerReply>((resolve, reject) => {
      this.calls.set(seq, { resolve, reject })
      worker.postMessage({ ...msg, seq }, transfer)
    })
  }

  private async flushBitmap (): Promise<void> {
    this.flushedMs = Date.now()
    // Written beside it and renamed over it, one write at a time: writeFile truncates first, so a process
    // killed mid-write left an empty bitmap, and the restart fetched every chunk again.
    const tmp = `${this.path}.bitmap.tmp`
    const write = this.bitmapWrite.then(async () => {
      await writeFile(tmp, this.have)
      await rename(tmp, `${this.path}.bitmap`)
    })
    this.bitmapWrite = write.catch(() => {})
    await write
  }
}
