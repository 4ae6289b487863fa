// A download in progress: `<dir>/blobs/partial/<hex>` holds chunks written at
// their offsets as they arrive (in any order), `<hex>.bitmap` one byte per
// chunk (1 = written and verified). The bitmap is rewritten every
// BITMAP_FLUSH_CHUNKS chunks and at close, without fsync: on resume every
// chunk it claims is re-hashed against the manifest, so a bitmap that got
// ahead of the data after a crash costs a re-fetch, never a wrong byte. Only
// when every chunk is present is the file fsynced, the whole digest checked
// (hashed on the way in, in chunk order, so there is no second pass), and the
// file handed to the blob store (rename into place). finish() runs once.

import { createHash, webcrypto } from 'node:crypto'
import { mkdir, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { BITMAP_FLUSH_CHUNKS } from './constants.js'
import { chunkCount, chunkRange, readFully, type Manifest } from './manifest.js'

/** Chunks held in memory for the in-order hash: a few ranges' worth (8 MiB at 1 MiB chunks). */
const MAX_HASH_AHEAD_CHUNKS = 8
/** have[i]: 0 missing, 1 written and verified, 2 being written (persisted bitmaps only trust 1). */
const WRITING = 2

export class PartialBlob {
  readonly path: string
  readonly manifest: Manifest
  readonly have: Uint8Array
  private file: FileHandle | undefined
  private unflushed = 0
  private count = 0
  /** sha-256 of chunks 0..hashed-1, fed as they arrive in order (else read back): no second pass at the end. */
  private readonly hash = createHash('sha256')
  private hashed = 0
  private catchingUp: Promise<void> | undefined
  /** Verified chunks written ahead of `hashed`, kept (bounded) so the hash need not read them back. */
  private readonly ahead = new Map<number, Uint8Array>()

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
    let file: FileHandle
    try {
      file = await open(p.path, 'r+')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      file = await open(p.path, 'w+', 0o644)
    }
    p.file = file
    await p.recover()
    return p
  }

  get chunksHave (): number { return this.count }
  get complete (): boolean { return this.count === this.have.length }
  get bytesHave (): number {
    let n = 0
    for (let i = 0; i < this.have.length; i++) if (this.have[i] === 1) n += chunkRange(this.manifest, i)[1] - chunkRange(this.manifest, i)[0]
    return n
  }

  /**
   * True iff `data` is chunk i per the manifest. Hashed with WebCrypto, which
   * runs on libuv's thread pool: the main thread, which decrypts the stream
   * (the bottleneck of a transfer), does not also hash every byte.
   */
  async verifies (i: number, data: Uint8Array): Promise<boolean> {
    const [start, end] = chunkRange(this.manifest, i)
    if (data.byteLength !== end - start) return false
    const digest = new Uint8Array(await webcrypto.subtle.digest('SHA-256', data))
    return Buffer.from(digest).equals(Buffer.from(this.manifest.chunks[i] as Uint8Array))
  }

  /** Writes a chunk the caller has verified. */
  async write (i: number, data: Uint8Array): Promise<void> {
    if (this.have[i] !== 0) return
    this.have[i] = WRITING // a second write of the same chunk meanwhile is a no-op
    const file = this.handle()
    let off = 0
    const position = chunkRange(this.manifest, i)[0]
    while (off < data.byteLength) {
      const { bytesWritten } = await file.write(data, off, data.byteLength - off, position + off)
      off += bytesWritten
    }
    this.have[i] = 1
    this.count++
    if (i === this.hashed && this.catchingUp === undefined) {
      this.hash.update(data)
      this.hashed++
      this.hashAhead()
    } else if (i > this.hashed && this.ahead.size < MAX_HASH_AHEAD_CHUNKS) {
      this.ahead.set(i, data) // hashed from memory when its turn comes, instead of read back
    }
    if (this.have[this.hashed] === 1) await this.catchUp()
    if (++this.unflushed >= BITMAP_FLUSH_CHUNKS) await this.flushBitmap()
  }

  /** Hashes the chunks held in memory that are next in order. */
  private hashAhead (): void {
    for (let next = this.ahead.get(this.hashed); next !== undefined; next = this.ahead.get(this.hashed)) {
      this.ahead.delete(this.hashed)
      this.hash.update(next)
      this.hashed++
    }
  }

  /** Feeds the whole-blob hash with the chunks after `hashed` that are already on disk. One loop at a time. */
  private async catchUp (): Promise<void> {
    if (this.catchingUp !== undefined) return await this.catchingUp
    this.catchingUp = (async () => {
      const file = this.handle()
      const buf = Buffer.allocUnsafe(this.manifest.chunkSize)
      while (this.hashed < this.have.length && this.have[this.hashed] === 1) {
        const held = this.ahead.get(this.hashed)
        if (held !== undefined) {
          this.hashAhead()
          continue
        }
        const [start, end] = chunkRange(this.manifest, this.hashed)
        await readFully(file, buf, end - start, start)
        this.hash.update(buf.subarray(0, end - start))
        this.hashed++
      }
      for (const i of this.ahead.keys()) if (i < this.hashed) this.ahead.delete(i)
    })().finally(() => { this.catchingUp = undefined })
    await this.catchingUp
  }

  /** fsyncs and checks the whole digest; true iff the file is exactly the blob. */
  async finish (): Promise<boolean> {
    const file = this.handle()
    await file.truncate(this.manifest.size)
    await file.sync()
    await this.catchUp()
    if (this.hashed !== this.have.length) return false
    return Buffer.from(this.hash.digest()).equals(Buffer.from(this.manifest.digest))
  }

  async close (): Promise<void> {
    if (this.file === undefined) return
    await this.flushBitmap().catch(() => {})
    await this.file.close()
    this.file = undefined
  }

  /** Removes the partial file and its bitmap (after it was adopted, or to start over). */
  async discard (): Promise<void> {
    await this.close().catch(() => {})
    await rm(this.path, { force: true })
    await rm(`${this.path}.bitmap`, { force: true })
  }

  /** Restart: believe the bitmap only for chunks whose bytes still hash right. */
  private async recover (): Promise<void> {
    let bitmap: Uint8Array
    try {
      bitmap = new Uint8Array(await readFile(`${this.path}.bitmap`))
    } catch {
      return
    }
    if (bitmap.byteLength !== this.have.length) return
    const file = this.handle()
    const buf = Buffer.allocUnsafe(this.manifest.chunkSize)
    for (let i = 0; i < bitmap.byteLength; i++) {
      if (bitmap[i] !== 1) continue
      const [start, end] = chunkRange(this.manifest, i)
      try {
        await readFully(file, buf, end - start, start)
      } catch {
        continue
      }
      if (await this.verifies(i, buf.subarray(0, end - start))) {
        this.have[i] = 1
        this.count++
      }
    }
  }

  private async flushBitmap (): Promise<void> {
    this.unflushed = 0
    await writeFile(`${this.path}.bitmap`, this.have)
  }

  private handle (): FileHandle {
    if (this.file === undefined) throw new Error('assertion failed: partial blob is closed')
    return this.file
  }
}
