// Content-addressed blob files in `<dir>/blobs`:
//   blobs/tmp/<random>        an upload in progress (removed on start: a crash leaves only garbage here)
//   blobs/tmp/staged-<hex>    a file the CLI on this machine put there for a publish (putStaged)
//   blobs/sha256/<hex>        a complete blob, named by the sha-256 of its bytes
// A blob is streamed through sha-256 into a temp file, fsynced, renamed into
// place and the directory fsynced, so after a crash a name in sha256/ always
// holds exactly the bytes it names. Memory use is one chunk, whatever the size.

import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { MycelError } from '../../protocol/errors.js'
import { BLOB_CHUNK_BYTES } from '../limits.js'

export interface BlobInfo {
  /** sha-256 of the bytes. */
  digest: Uint8Array
  /** `sha256:<hex>`. */
  digestText: string
  /** CIDv1, raw codec, sha2-256 multihash, base32. */
  cid: string
  size: number
  /** sha-256 of each `chunkBytes` piece, when put() was asked for them (the blob layer's manifest). */
  chunks?: Uint8Array[]
}

export interface BlobStoreInit {
  /** The data dir; blobs go in `<dir>/blobs`. */
  dir: string
  /** Largest blob accepted. */
  maxBlobBytes: number
}

/**
 * Told of every blob that lands in or leaves sha256/, whoever stored or removed it (a publish, a
 * download, a registry push, the collector): the disk quota counts them (quota.ts).
 */
export interface BlobStoreWatcher {
  stored: (digest: Uint8Array, size: number) => void
  removed: (digest: Uint8Array) => void
}

/** What a file the CLI stages in blobs/tmp for the daemon to take is called (putStaged). */
export const STAGED_NAME = /^staged-[0-9a-f]{24}$/

export function digestText (digest: Uint8Array): string {
  return `sha256:${Buffer.from(digest).toString('hex')}`
}

export function cidOf (digest: Uint8Array): string {
  return CID.createV1(raw.code, createDigest(sha256.code, digest)).toString()
}

export class BlobStore {
  private readonly root: string
  private readonly maxBlobBytes: number
  private readonly watchers = new Set<BlobStoreWatcher>()

  constructor (init: BlobStoreInit) {
    this.root = join(init.dir, 'blobs')
    this.maxBlobBytes = init.maxBlobBytes
  }

  private get tmpDir (): string { return join(this.root, 'tmp') }
  private get finalDir (): string { return join(this.root, 'sha256') }

  /** Creates the directories and removes uploads a crash left behind. */
  async start (): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true })
    await mkdir(this.tmpDir, { recursive: true })
    await mkdir(this.finalDir, { recursive: true })
  }

  pathOf (digest: Uint8Array): string {
    return join(this.finalDir, Buffer.from(digest).toString('hex'))
  }

  async has (digest: Uint8Array): Promise<boolean> {
    try {
      return (await stat(this.pathOf(digest))).isFile()
    } catch {
      return false
    }
  }

  /**
   * Streams `source` into the store. Throws TOO_LARGE (and keeps nothing) past
   * maxBlobBytes; on any failure the temp file is removed.
   */
  async put (source: AsyncIterable<Uint8Array>, chunkBytes?: number): Promise<BlobInfo> {
    const tmp = join(this.tmpDir, randomBytes(12).toString('hex'))
    const file = await open(tmp, 'wx', 0o644)
    const hashing = new BlobHashing(chunkBytes)
    let closed = false
    try {
      for await (const chunk of source) {
        if (hashing.size + chunk.byteLength > this.maxBlobBytes) throw this.tooLarge()
        hashing.update(chunk)
        let off = 0
        while (off < chunk.byteLength) {
          const { bytesWritten } = await file.write(chunk, off, chunk.byteLength - off)
          off += bytesWritten
        }
      }
      await file.sync()
      await file.close()
      closed = true
      const info = hashing.finish()
      await this.adopt(tmp, info.digest, info.size)
      return info
    } catch (err) {
      if (!closed) await file.close().catch(() => {})
      await rm(tmp, { force: true })
      throw err
    }
  }

  /**
   * Takes a file the CLI on this machine staged in `blobs/tmp/<name>` (`mycel publish`: a copy made in
   * the kernel, or with --link a hard link to the user's file) as a publish: hashed as it is read,
   * fsynced, renamed into place. Only names of STAGED_NAME's shape, and only a regular file (never a
   * symlink: the daemon reads nothing outside its data dir on the API's word). The staged file is gone
   * afterwards, stored or removed; a blob already stored is kept as it is.
   */
  async putStaged (name: string, chunkBytes?: number): Promise<BlobInfo> {
    if (!STAGED_NAME.test(name)) throw MycelError.usage(`a staged file is named staged-<24 hex digits>, not ${JSON.stringify(name)}`)
    const path = join(this.tmpDir, name)
    const st = await lstat(path).catch((err: NodeJS.ErrnoException) => {
      throw MycelError.usage(`no staged file ${name} in ${this.tmpDir} (${err.code ?? String(err)}; a restart of the daemon clears them)`)
    })
    try {
      if (!st.isFile()) throw MycelError.usage(`the staged ${name} is not a regular file`)
      if (st.size > this.maxBlobBytes) throw this.tooLarge()
      const hashing = new BlobHashing(chunkBytes)
      for await (const chunk of createReadStream(path, { highWaterMark: BLOB_CHUNK_BYTES }) as AsyncIterable<Buffer>) hashing.update(chunk)
      if (hashing.size !== st.size) throw MycelError.usage(`the staged ${name} changed while it was read (${st.size} bytes, then ${hashing.size}): publish it again once it is written`)
      const info = hashing.finish()
      if (await this.has(info.digest)) {
        await rm(path, { force: true })
      } else {
        await this.fsync(path)
        await this.adopt(path, info.digest, info.size)
      }
      return info
    } catch (err) {
      await rm(path, { force: true })
      throw err
    }
  }

  /** A fresh path for a blob being written elsewhere (e.g. a registry upload), to be adopt()ed or removed. */
  tempPath (): string {
    return join(this.tmpDir, randomBytes(12).toString('hex'))
  }

  /** The blobs directory root (`<dir>/blobs`), where the blob layer keeps manifests and partial downloads. */
  get rootDir (): string { return this.root }

  /**
   * Moves a file the caller has fsynced and verified to hash to `digest` into
   * place (same filesystem: a rename), then fsyncs the directory. `size`, if the
   * caller knows it, spares the watchers' stat.
   */
  async adopt (path: string, digest: Uint8Array, size?: number): Promise<void> {
    await rename(path, this.pathOf(digest))
    await this.fsync(this.finalDir)
    if (this.watchers.size === 0) return
    // Gone already (collected meanwhile): nothing to tell. The blob is stored either way.
    const bytes = size ?? await stat(this.pathOf(digest)).then(st => st.size, () => undefined)
    if (bytes !== undefined) for (const w of this.watchers) w.stored(digest, bytes)
  }

  /** Deletes a stored blob (absent is fine). */
  async remove (digest: Uint8Array): Promise<void> {
    await rm(this.pathOf(digest), { force: true })
    for (const w of this.watchers) w.removed(digest)
  }

  /** Tells `watcher` of every blob stored or removed from now on, until the returned function is called. */
  watch (watcher: BlobStoreWatcher): () => void {
    this.watchers.add(watcher)
    return () => { this.watchers.delete(watcher) }
  }

  /** Re-hashes a stored blob: true iff its bytes still match its name. */
  async verify (digest: Uint8Array): Promise<boolean> {
    const hash = createHash('sha256')
    try {
      for await (const chunk of createReadStream(this.pathOf(digest), { highWaterMark: BLOB_CHUNK_BYTES })) hash.update(chunk as Buffer)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
    return Buffer.from(hash.digest()).equals(Buffer.from(digest))
  }

  /** Hex digests of the stored blobs (for tests and tooling; reads the directory). */
  async list (): Promise<string[]> {
    return await readdir(this.finalDir)
  }

  private tooLarge (): MycelError {
    return new MycelError('TOO_LARGE', `the file is larger than this node's limit of ${this.maxBlobBytes} bytes (config maxBlobBytes)`, { details: { limit: this.maxBlobBytes } })
  }

  /** fsync of a file or a directory (a directory's, to make a rename in it durable). */
  private async fsync (path: string): Promise<void> {
    const handle = await open(path, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  }
}

/** What put() and putStaged() learn in their one read of a blob: its sha-256, chunk hashes if asked for, size. */
class BlobHashing {
  size = 0
  private readonly hash = createHash('sha256')
  private readonly chunker: ChunkHasher | undefined

  constructor (chunkBytes?: number) {
    this.chunker = chunkBytes === undefined ? undefined : new ChunkHasher(chunkBytes)
  }

  update (chunk: Uint8Array): void {
    this.size += chunk.byteLength
    this.hash.update(chunk)
    this.chunker?.update(chunk)
  }

  /** Once, after the last update. */
  finish (): BlobInfo {
    const digest = new Uint8Array(this.hash.digest())
    return { digest, digestText: digestText(digest), cid: cidOf(digest), size: this.size, ...(this.chunker === undefined ? {} : { chunks: this.chunker.finish() }) }
  }
}

/** sha-256 of each fixed-size piece of a stream, in one pass with the whole-blob hash. */
export class ChunkHasher {
  private readonly chunkBytes: number
  private hash = createHash('sha256')
  private filled = 0
  private readonly out: Uint8Array[] = []

  constructor (chunkBytes: number) { this.chunkBytes = chunkBytes }

  update (bytes: Uint8Array): void {
    let off = 0
    while (off < bytes.byteLength) {
      const take = Math.min(this.chunkBytes - this.filled, bytes.byteLength - off)
      this.hash.update(bytes.subarray(off, off + take))
      this.filled += take
      off += take
      if (this.filled === this.chunkBytes) this.next()
    }
  }

  /** The hashes; an empty blob has one (empty) chunk, like a short last chunk. */
  finish (): Uint8Array[] {
    if (this.filled > 0 || this.out.length === 0) this.next()
    return this.out
  }

  private next (): void {
    this.out.push(new Uint8Array(this.hash.digest()))
    this.hash = createHash('sha256')
    this.filled = 0
  }
}
