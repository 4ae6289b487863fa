// An in-process RegistryBackend for tests and benchmarks. A MemoryFederation
// is a set of sites sharing one MemoryKeys (metadata "replicates" at once),
// each with its own blob directory; `site(name)` gives a site's backend. A
// site opening a blob it does not hold first copies it from a site that does
// and checks its digest (the real daemon streams verified chunks while it
// fetches; here the copy is whole, then served), so "B serves what A
// uploaded" and "HEAD does not fetch" can be tested with two registries.
// Bytes live in files, so a 1 GiB layer costs no memory.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { copyFile, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { MycelError } from '../../protocol/errors.js'
import type { BlobStat, BlobWriter, KeyEntry, KeyValue, RegistryBackend, Role } from './backend.js'
import { MemoryKeys } from './memory-keys.js'

export interface MemoryUser { user: string, secret: string, role: Role }

export interface MemoryFederationInit {
  /** Root directory: each site keeps its blobs in `<dir>/<site>/`. */
  dir: string
  users?: MemoryUser[]
}

const READ_CHUNK_BYTES = 1024 * 1024

export class MemoryFederation {
  readonly keys = new MemoryKeys()
  readonly sites = new Map<string, MemoryBackend>()
  private readonly init: MemoryFederationInit
  private readonly users: Array<{ user: string, secretHash: Buffer, role: Role }>

  constructor (init: MemoryFederationInit) {
    this.init = init
    this.users = (init.users ?? []).map(u => ({ user: u.user, secretHash: sha256(u.secret), role: u.role }))
  }

  /** The backend of site `name` (created on first use). */
  async site (name: string): Promise<MemoryBackend> {
    let site = this.sites.get(name)
    if (site === undefined) {
      site = new MemoryBackend(this, join(this.init.dir, name))
      await site.start()
      this.sites.set(name, site)
    }
    return site
  }

  roleOf (credential: { user: string, secret: string }): Role | undefined {
    const hash = sha256(credential.secret)
    let role: Role | undefined
    for (const u of this.users) {
      // Compare every entry, so the time taken says nothing about which matched.
      if (timingSafeEqual(hash, u.secretHash) && u.user === credential.user) role = u.role
    }
    return role
  }

  /** A site (other than `except`) holding the digest's bytes. */
  async holderOf (digest: string, except?: MemoryBackend): Promise<MemoryBackend | undefined> {
    for (const site of this.sites.values()) if (site !== except && await site.holds(digest)) return site
    return undefined
  }
}

/** A one-site federation: the usual test backend. */
export async function createMemoryBackend (init: MemoryFederationInit): Promise<MemoryBackend> {
  return await new MemoryFederation(init).site('site')
}

export class MemoryBackend implements RegistryBackend {
  readonly federation: MemoryFederation
  readonly dir: string
  /** Blobs this site copied from another site, in order (tests assert HEAD fetches nothing). */
  readonly fetched: string[] = []

  constructor (federation: MemoryFederation, dir: string) {
    this.federation = federation
    this.dir = dir
  }

  async start (): Promise<void> {
    await rm(join(this.dir, 'tmp'), { recursive: true, force: true })
    await mkdir(join(this.dir, 'tmp'), { recursive: true })
    await mkdir(join(this.dir, 'sha256'), { recursive: true })
  }

  pathOf (digest: string): string {
    return join(this.dir, 'sha256', digest.slice('sha256:'.length))
  }

  async holds (digest: string): Promise<boolean> {
    return /^sha256:[a-f0-9]{64}$/.test(digest) && await stat(this.pathOf(digest)).then(s => s.isFile(), () => false)
  }

  async beginBlob (opts: { maxBytes: number }): Promise<BlobWriter> {
    const tmp = join(this.dir, 'tmp', randomBytes(12).toString('hex'))
    return new FileBlobWriter(await open(tmp, 'wx'), tmp, opts.maxBytes, digest => this.pathOf(digest))
  }

  async statBlob (digest: string): Promise<BlobStat | undefined> {
    if (await this.holds(digest)) return { size: (await stat(this.pathOf(digest))).size, held: true }
    const size = this.federation.keys.sizeOf(digest)
    return size === undefined ? undefined : { size, held: false }
  }

  async openBlob (digest: string, range?: { start: number, end: number }): Promise<{ size: number, stream: AsyncIterable<Uint8Array> }> {
    if (!await this.holds(digest)) await this.fetch(digest)
    const size = (await stat(this.pathOf(digest))).size
    const start = range?.start ?? 0
    const end = range?.end ?? size
    if (end <= start) return { size, stream: (async function * () {})() }
    return { size, stream: createReadStream(this.pathOf(digest), { start, end: end - 1, highWaterMark: READ_CHUNK_BYTES }) }
  }

  getKey (key: string): KeyValue | undefined {
    return this.federation.keys.get(key)
  }

  async putKey (key: string, value: KeyValue): Promise<void> {
    // As a real site: a key may only name bytes the federation knows.
    if (this.federation.keys.sizeOf(value.digest) === undefined && await this.federation.holderOf(value.digest) === undefined) {
      throw new MycelError('NOT_FOUND', `no member holds or names ${value.digest}`)
    }
    this.federation.keys.put(key, value)
  }

  async deleteKey (key: string): Promise<void> {
    this.federation.keys.delete(key)
  }

  listKeys (prefix: string, opts: { after?: string, limit: number }): KeyEntry[] {
    return this.federation.keys.list(prefix, opts)
  }

  roleOf (credential: { user: string, secret: string }): Role | undefined {
    return this.federation.roleOf(credential)
  }

  /** The blob layer's collection: deletes bytes here that no live key names. */
  async collectBytes (): Promise<string[]> {
    const removed: string[] = []
    for (const hex of await readdir(join(this.dir, 'sha256'))) {
      const digest = `sha256:${hex}`
      if (this.federation.keys.sizeOf(digest) !== undefined) continue
      await rm(this.pathOf(digest), { force: true })
      removed.push(digest)
    }
    return removed
  }

  private async fetch (digest: string): Promise<void> {
    const holder = await this.federation.holderOf(digest, this)
    if (holder === undefined) {
      if (this.federation.keys.sizeOf(digest) !== undefined) throw new MycelError('UNAVAILABLE', `no member holding ${digest} is reachable`)
      throw new MycelError('NOT_FOUND', `no such blob ${digest}`)
    }
    const tmp = join(this.dir, 'tmp', randomBytes(12).toString('hex'))
    await copyFile(holder.pathOf(digest), tmp)
    if (await hashFile(tmp) !== digest) {
      await rm(tmp, { force: true })
      throw new MycelError('UNAVAILABLE', `the copy of ${digest} from another site does not match its digest`)
    }
    await rename(tmp, this.pathOf(digest))
    this.fetched.push(digest)
  }
}

/** Appends to a temp file while hashing; commit renames it under its digest if the client's digest matches. */
class FileBlobWriter implements BlobWriter {
  size = 0
  private readonly hash = createHash('sha256')
  private file: FileHandle | undefined
  private readonly tmp: string
  private readonly maxBytes: number
  private readonly finalPath: (digest: string) => string

  constructor (file: FileHandle, tmp: string, maxBytes: number, finalPath: (digest: string) => string) {
    this.file = file
    this.tmp = tmp
    this.maxBytes = maxBytes
    this.finalPath = finalPath
  }

  async write (bytes: Uint8Array): Promise<void> {
    const file = this.file
    if (file === undefined) throw new MycelError('CLOSED', 'the upload is finished')
    if (this.size + bytes.byteLength > this.maxBytes) {
      await this.abort()
      throw MycelError.tooLarge('blob', this.size + bytes.byteLength, this.maxBytes)
    }
    this.hash.update(bytes)
    let off = 0
    while (off < bytes.byteLength) off += (await file.write(bytes, off, bytes.byteLength - off)).bytesWritten
    this.size += bytes.byteLength
  }

  async commit (expectedDigest: string): Promise<{ ok: true, digest: string, size: number } | { ok: false, digest: string, size: number }> {
    const file = this.file
    if (file === undefined) throw new MycelError('CLOSED', 'the upload is finished')
    this.file = undefined
    const digest = 'sha256:' + this.hash.digest('hex')
    try {
      if (digest !== expectedDigest) return { ok: false, digest, size: this.size }
      await file.sync()
      await file.close()
      await rename(this.tmp, this.finalPath(digest))
      return { ok: true, digest, size: this.size }
    } finally {
      await file.close().catch(() => {})
      await rm(this.tmp, { force: true })
    }
  }

  async abort (): Promise<void> {
    const file = this.file
    this.file = undefined
    await file?.close().catch(() => {})
    await rm(this.tmp, { force: true })
  }
}

function sha256 (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

async function hashFile (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: READ_CHUNK_BYTES })) hash.update(chunk as Buffer)
  return 'sha256:' + hash.digest('hex')
}
