// Reading a stored blob for the local API (`GET /v1/blobs/<ref>/content`, `mycel cat`, `mycel
// fetch`): chunk by chunk, each checked against the blob's manifest before it is handed on, so a
// copy rotted on disk is never served as correct (issue #17). A chunk that does not match throws
// damagedChunk (chunk-check.ts) instead of being yielded. A blob without a manifest (from before
// manifests existed) is hashed whole before its first byte is yielded.

import { open } from 'node:fs/promises'
import { chunkCount, chunkRange, decodeManifest, readFully, type Manifest } from './manifest.js'
import { chunkIntact, damagedChunk } from './chunk-check.js'
import type { BlobStore } from './store.js'
import { BLOB_CHUNK_BYTES } from '../limits.js'

export interface VerifiedReadComponents {
  blobs: Pick<BlobStore, 'pathOf' | 'verify'>
  manifests: { get: (digest: Uint8Array) => Promise<Uint8Array | undefined> }
}

/** A byte range of a blob, both ends inclusive (HTTP's Range). */
export interface ByteSpan { start: number, end: number }

/**
 * The blob's size and its bytes, verified a chunk at a time as they are read (only the bytes in `span`,
 * if given: the chunks around it are read and checked whole, then cut to it). Opening happens before
 * the first chunk is asked for.
 */
export async function openVerified (c: VerifiedReadComponents, digest: Uint8Array, span?: ByteSpan): Promise<{ size: number, chunks: AsyncGenerator<Uint8Array> }> {
  const file = await open(c.blobs.pathOf(digest), 'r')
  let manifest: Manifest | undefined
  try {
    const bytes = await c.manifests.get(digest)
    manifest = bytes === undefined ? undefined : decodeManifest(bytes)
  } catch {
    manifest = undefined
  }
  const { size } = await file.stat()
  if (manifest !== undefined && manifest.size !== size) {
    await file.close()
    throw damagedChunk(digest, Math.min(chunkCount(size, manifest.chunkSize), manifest.chunks.length) - 1)
  }
  return { size, chunks: readChunks(c, file, digest, size, manifest, span ?? { start: 0, end: size - 1 }) }
}

async function * readChunks (c: VerifiedReadComponents, file: Awaited<ReturnType<typeof open>>, digest: Uint8Array, size: number, manifest: Manifest | undefined, span: ByteSpan): AsyncGenerator<Uint8Array> {
  try {
    if (manifest === undefined) {
      if (!await c.blobs.verify(digest)) throw damagedChunk(digest, 0)
      // Checked whole: read on in plain 1 MiB pieces, with no per-chunk hashes to compare.
      manifest = { v: 1, digest, size, chunkSize: BLOB_CHUNK_BYTES, chunks: [] }
    }
    const last = Math.min(chunkCount(size, manifest.chunkSize) - 1, Math.floor(span.end / manifest.chunkSize))
    for (let i = Math.floor(span.start / manifest.chunkSize); i <= last; i++) {
      const [start, end] = chunkRange(manifest, i)
      const buf = Buffer.allocUnsafe(end - start)
      await readFully(file, buf, end - start, start)
      const expected = manifest.chunks[i]
      if (expected !== undefined && !await chunkIntact(buf, expected)) throw damagedChunk(digest, i)
      yield start >= span.start && end <= span.end + 1 ? buf : buf.subarray(Math.max(span.start, start) - start, Math.min(span.end + 1, end) - start)
    }
  } finally {
    await file.close().catch(() => {})
  }
}
