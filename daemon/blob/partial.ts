// A download in progress: `<dir>/blobs/partial/<hex>` holds chunks written at
// their offsets as they arrive (in any order), `<hex>.bitmap` one byte per
// chunk (1 = written and verified). The bitmap is rewritten every
// BITMAP_FLUSH_CHUNKS chunks and at close, without fsync: on resume every
// chunk it claims is re-hashed against the manifest, so a bitmap that got
// ahead of the data after a crash costs a re-fetch, never a wrong byte. Only
// when every chunk is present is the file fsynced, the whole digest checked,
// and the file handed to the blob store (rename into place).

import { createHash } from 'node:crypto'
import { mkdir, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { BITMAP_FLUSH_CHUNKS } from './constants.js'
import { chunkCount, chunkRange, readFully, sha256, type Manifest } from './manifest.js'

export class PartialBlob {
  readonly path: string
  readonly manifest: Manifest
  readonly have: Uint8Array
  private file: FileHandle | undefined
  private unflushed = 0
  private count = 0

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

  /** True iff `data` is chunk i per the manifest. */
  verifies (i: number, data: Uint8Array): boolean {
    const [start, end] = chunkRange(this.manifest, i)
    return data.byteLength === end - start && Buffer.from(sha256(data)).equals(Buffer.from(this.manifest.chunks[i] as Uint8Array))
  }

  /** Writes a chunk the caller has verified. */
  async write (i: number, data: Uint8Array): Promise<void> {
    if (this.have[i] === 1) return
    const file = this.handle()
    let off = 0
    const position = chunkRange(this.manifest, i)[0]
    while (off < data.byteLength) {
      const { bytesWritten } = await file.write(data, off, data.byteLength - off, position + off)
      off += bytesWritten
    }
    this.have[i] = 1
    this.count++
    if (++this.unflushed >= BITMAP_FLUSH_CHUNKS) await this.flushBitmap()
  }

  /** fsyncs and checks the whole digest; true iff the file is exactly the blob. */
  async finish (): Promise<boolean> {
    const file = this.handle()
    await file.truncate(this.manifest.size)
    await file.sync()
    const hash = createHash('sha256')
    const buf = Buffer.allocUnsafe(Math.min(this.manifest.chunkSize, Math.max(1, this.manifest.size)))
    for (let pos = 0; pos < this.manifest.size; pos += buf.byteLength) {
      const n = Math.min(buf.byteLength, this.manifest.size - pos)
      await readFully(file, buf, n, pos)
      hash.update(buf.subarray(0, n))
    }
    return Buffer.from(hash.digest()).equals(Buffer.from(this.manifest.digest))
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
      if (this.verifies(i, buf.subarray(0, end - start))) {
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
