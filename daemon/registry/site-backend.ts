// The registry's port (backend.ts) over a running site: uploads go into the
// blob store like a publish (hashed on the way in, chunk manifest recorded,
// fsynced, renamed into place), keys are signed events through the core,
// bytes a site does not hold are fetched from the members that do. Everything
// is looked up through `parts()` at call time: `mycel join` can swap the
// federation (and its core) under a running registry.

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { MycelError } from '../../protocol/errors.js'
import type { Event, NewEventBody, PutBody } from '../../protocol/event.js'
import type { BlobService } from '../blob/service.js'
import { ChunkHasher, digestText, type BlobStore } from '../blob/store.js'
import type { BlobStat, BlobWriter, KeyEntry, KeyValue, RegistryBackend, Role } from './backend.js'
import type { RegistryCredentials } from './credentials.js'

/** What the backend reads and writes, as of now. */
export interface SiteParts {
  get: (key: string) => Event | undefined
  /** Live puts under prefix after a key, in key order (LwwState.page). */
  page: (prefix: string, after: string | undefined, limit: number) => { events: Event[], more: boolean }
  blobs: BlobStore
  blobService: Pick<BlobService, 'recordManifest' | 'resolve' | 'ensureLocal' | 'chunkBytes' | 'stream' | 'noteRead'>
  writeDurably: (body: NewEventBody) => Promise<Event>
}

export interface SiteBackendComponents {
  parts: () => SiteParts
  credentials: RegistryCredentials
  /** How long a pull waits for bytes this site does not hold. */
  fetchWaitMs: number
}

const READ_CHUNK_BYTES = 1024 * 1024
const SHA256_HEX = /^sha256:([0-9a-f]{64})$/

export class SiteBackend implements RegistryBackend {
  /** Manifest hashes of blobs uploaded here, until their key is written (the first put names them). */
  private readonly manifests = new Map<string, Uint8Array>()

  constructor (private readonly c: SiteBackendComponents) {}

  async beginBlob (opts: { maxBytes: number }): Promise<BlobWriter> {
    const p = this.c.parts()
    const path = p.blobs.tempPath()
    const file = await open(path, 'wx', 0o600)
    return new SiteBlobWriter(path, file, opts.maxBytes, p, (digest, manifest) => { this.manifests.set(digest, manifest) })
  }

  async statBlob (digest: string): Promise<BlobStat | undefined> {
    const p = this.c.parts()
    const bytes = digestBytes(digest)
    const held = await p.blobs.has(bytes)
    try {
      const target = await p.blobService.resolve(digest, key => p.get(key))
      return { size: target.size, held }
    } catch (err) {
      if (err instanceof MycelError && err.code === 'NOT_FOUND') return undefined
      throw err
    }
  }

  async openBlob (digest: string, range?: { start: number, end: number }): Promise<{ size: number, stream: AsyncIterable<Uint8Array> }> {
    const p = this.c.parts()
    const target = await p.blobService.resolve(digest, key => p.get(key))
    if (!await p.blobs.has(target.digest)) {
      // Not here yet: stream it as the fetch verifies it, chunk by chunk (a pull need not wait for the whole blob).
      const span = { start: range?.start ?? 0, end: (range?.end ?? target.size) - 1 }
      return { size: target.size, stream: p.blobService.stream(target, this.c.fetchWaitMs, span) }
    }
    p.blobService.noteRead(target.digest) // a pull of held bytes is a use (the disk quota's eviction order)
    const path = p.blobs.pathOf(target.digest)
    const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES, ...(range === undefined ? {} : { start: range.start, end: range.end - 1 }) })
    return { size: target.size, stream: stream as AsyncIterable<Uint8Array> }
  }

  getKey (key: string): KeyValue | undefined {
    const e = this.c.parts().get(key)
    return e?.body.kind === 'put' ? valueOf(e.body) : undefined
  }

  async putKey (key: string, value: KeyValue): Promise<void> {
    const p = this.c.parts()
    const bytes = digestBytes(value.digest)
    const manifest = this.manifests.get(value.digest) ?? (await p.blobService.resolve(value.digest, k => p.get(k))).manifest
    await p.writeDurably({ kind: 'put', key, digest: bytes, size: value.size, props: value.props, ...(manifest === undefined ? {} : { manifest }) })
    this.manifests.delete(value.digest)
  }

  async deleteKey (key: string): Promise<void> {
    await this.c.parts().writeDurably({ kind: 'delete', key })
  }

  listKeys (prefix: string, opts: { after?: string, limit: number }): KeyEntry[] {
    const out: KeyEntry[] = []
    for (const e of this.c.parts().page(prefix, opts.after, opts.limit).events) {
      if (e.body.kind === 'put') out.push({ key: e.body.key, ...valueOf(e.body) })
    }
    return out
  }

  roleOf (credential: { user: string, secret: string }): Role | undefined {
    return this.c.credentials.roleOf(credential)
  }
}

/** An upload: bytes hashed as they are written to a temp file of the blob store; adopted under their digest on commit. */
class SiteBlobWriter implements BlobWriter {
  size = 0
  private readonly hash = createHash('sha256')
  private readonly chunks: ChunkHasher
  private done = false

  constructor (
    private readonly path: string,
    private readonly file: FileHandle,
    private readonly maxBytes: number,
    private readonly p: SiteParts,
    private readonly recorded: (digest: string, manifest: Uint8Array) => void
  ) {
    this.chunks = new ChunkHasher(p.blobService.chunkBytes)
  }

  async write (bytes: Uint8Array): Promise<void> {
    if (this.done) throw new MycelError('CLOSED', 'the upload is finished')
    if (this.size + bytes.byteLength > this.maxBytes) {
      await this.abort()
      throw new MycelError('TOO_LARGE', `the blob is larger than this site's limit of ${this.maxBytes} bytes`, { details: { limit: this.maxBytes } })
    }
    this.hash.update(bytes)
    this.chunks.update(bytes)
    let off = 0
    while (off < bytes.byteLength) off += (await this.file.write(bytes, off, bytes.byteLength - off)).bytesWritten
    this.size += bytes.byteLength
  }

  async commit (expectedDigest: string): Promise<{ ok: true, digest: string, size: number } | { ok: false, digest: string, size: number }> {
    if (this.done) throw new MycelError('CLOSED', 'the upload is finished')
    this.done = true
    const digest = new Uint8Array(this.hash.digest())
    const text = digestText(digest)
    try {
      await this.file.sync()
      await this.file.close()
      if (text !== expectedDigest) {
        // Nothing is kept: the temp file goes, and a blob some key already names is not ours to touch.
        await rm(this.path, { force: true })
        return { ok: false, digest: text, size: this.size }
      }
      if (await this.p.blobs.has(digest)) await rm(this.path, { force: true })
      else await this.p.blobs.adopt(this.path, digest)
      const manifest = await this.p.blobService.recordManifest({ digest, size: this.size, chunks: this.chunks.finish() })
      this.recorded(text, manifest)
      return { ok: true, digest: text, size: this.size }
    } catch (err) {
      await rm(this.path, { force: true })
      throw err
    }
  }

  async abort (): Promise<void> {
    if (this.done) return
    this.done = true
    await this.file.close().catch(() => {})
    await rm(this.path, { force: true })
  }
}

function valueOf (body: PutBody): KeyValue {
  return { digest: digestText(body.digest), size: body.size, props: body.props }
}

function digestBytes (digest: string): Uint8Array {
  const m = SHA256_HEX.exec(digest)
  if (m === null) throw MycelError.usage(`not a sha256 digest: ${digest}`)
  return new Uint8Array(Buffer.from(m[1] as string, 'hex'))
}
