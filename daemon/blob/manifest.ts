// The chunk manifest of a blob: its size, the chunk size and the sha-256 of
// every chunk, canonically encoded with dag-cbor. The sha-256 of those bytes
// is what the put event's `manifest` field carries, so a fetcher that knows the
// event can check a manifest from any peer, then check every chunk against it
// before writing it. Manifests live in `<dir>/blobs/manifests/<blob hex>`,
// written temp+fsync+rename like blobs.

import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, rename, rm, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { MycelError } from '../../protocol/errors.js'
import { MAX_CHUNK_BYTES, MAX_MANIFEST_BYTES, MIN_CHUNK_BYTES } from './constants.js'

export interface Manifest {
  v: 1
  /** sha-256 of the whole blob. */
  digest: Uint8Array
  size: number
  chunkSize: number
  /** sha-256 of each chunk, in order; the last chunk may be short. */
  chunks: Uint8Array[]
}

export function sha256 (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

export function chunkCount (size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize))
}

/** Byte range [start, end) of chunk i. */
export function chunkRange (m: Pick<Manifest, 'size' | 'chunkSize'>, i: number): [number, number] {
  const start = i * m.chunkSize
  return [start, Math.min(m.size, start + m.chunkSize)]
}

export function encodeManifest (m: Manifest): Uint8Array {
  return dagCbor.encode({ v: m.v, digest: m.digest, size: m.size, chunkSize: m.chunkSize, chunks: m.chunks })
}

/** Decodes and checks the shape; DECODE_FAILED on anything off. */
export function decodeManifest (bytes: Uint8Array): Manifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw MycelError.tooLarge('manifest', bytes.byteLength, MAX_MANIFEST_BYTES)
  let raw: unknown
  try {
    raw = dagCbor.decode(bytes)
  } catch (err) {
    throw MycelError.decode('manifest is not dag-cbor', err)
  }
  const m = raw as Partial<Manifest>
  const ok = typeof m === 'object' && m !== null && m.v === 1 &&
    m.digest instanceof Uint8Array && m.digest.byteLength === 32 &&
    Number.isSafeInteger(m.size) && (m.size as number) >= 0 &&
    Number.isSafeInteger(m.chunkSize) && (m.chunkSize as number) >= MIN_CHUNK_BYTES && (m.chunkSize as number) <= MAX_CHUNK_BYTES &&
    Array.isArray(m.chunks) && m.chunks.length === chunkCount(m.size as number, m.chunkSize as number) &&
    m.chunks.every(c => c instanceof Uint8Array && c.byteLength === 32)
  if (!ok) throw MycelError.decode('manifest has the wrong shape')
  return m as Manifest
}

/** Reads a stored blob file once, hashing each chunk. Memory: one chunk. */
export async function buildManifest (path: string, digest: Uint8Array, chunkSize: number): Promise<Manifest> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    const chunks: Uint8Array[] = []
    const buf = Buffer.allocUnsafe(chunkSize)
    for (let i = 0; i < chunkCount(size, chunkSize); i++) {
      const [start, end] = chunkRange({ size, chunkSize }, i)
      await readFully(file, buf, end - start, start)
      chunks.push(sha256(buf.subarray(0, end - start)))
    }
    return { v: 1, digest, size, chunkSize, chunks }
  } finally {
    await file.close()
  }
}

export async function readFully (file: Awaited<ReturnType<typeof open>>, buf: Uint8Array, length: number, position: number): Promise<void> {
  let off = 0
  while (off < length) {
    const { bytesRead } = await file.read(buf, off, length - off, position + off)
    if (bytesRead === 0) throw new MycelError('INTERNAL', `short read at ${position + off}`)
    off += bytesRead
  }
}

/** Manifests on disk, named by the hex of the blob they describe. */
export class ManifestStore {
  private readonly dir: string

  constructor (blobsRoot: string) {
    this.dir = join(blobsRoot, 'manifests')
  }

  async start (): Promise<void> {
    await mkdir(this.dir, { recursive: true })
  }

  private pathOf (digest: Uint8Array): string {
    return join(this.dir, Buffer.from(digest).toString('hex'))
  }

  /** The stored manifest bytes of a blob, or undefined. */
  async get (digest: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(digest)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Stores encoded manifest bytes atomically; returns their sha-256. */
  async put (digest: Uint8Array, bytes: Uint8Array): Promise<Uint8Array> {
    const tmp = `${this.pathOf(digest)}.${randomBytes(6).toString('hex')}.tmp`
    const file = await open(tmp, 'w', 0o644)
    try {
      await file.writeFile(bytes)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, this.pathOf(digest))
    return sha256(bytes)
  }

  async remove (digest: Uint8Array): Promise<void> {
    await rm(this.pathOf(digest), { force: true })
  }
}
