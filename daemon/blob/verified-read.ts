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

/** The blob's size and its chunks, verified as they are read. Opening happens before the first chunk is asked for. */
export async function openVerified (c: VerifiedReadComponents, digest: Uint8Array): Promise<{ size: number, chunks: AsyncGenerator<Uint8Array> }> {
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
  return { size, chunks: readChunks(c, file, digest, size, manifest) }
}

async function * readChunks (c: VerifiedReadComponents, file: Awaited<ReturnType<typeof open>>, digest: Uint8Array, size: number, manifest: Manifest | undefined): AsyncGenerator<Uint8Array> {
  try {
    if (manifest === undefined) {
      if (!await c.blobs.verify(digest)) throw damagedChunk(digest, 0)
      // Checked whole: read on in plain 1 MiB pieces, with no per-chunk hashes to compare.
      manifest = { v: 1, digest, size, chunkSize: BLOB_CHUNK_BYTES, chunks: [] }
    }
    for (let i = 0; i < chunkCount(size, manifest.chunkSize); i++) {
      const [start, end] = chunkRange(manifest, i)
      const buf = Buffer.allocUnsafe(end - start)
      await readFully(file, buf, end - start, start)
      const expected = manifest.chunks[i]
      if (expected !== undefined && !await chunkIntact(buf, expected)) throw damagedChunk(digest, i)
      yield buf
    }
  } finally {
    await file.close().catch(() => {})
  }
}
