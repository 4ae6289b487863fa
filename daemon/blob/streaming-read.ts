// Reading a blob while it is being fetched (the registry's pulls at a site that does not hold the
// bytes yet): chunk i is handed on as soon as the download has it verified, so the first byte goes out
// long before the last one arrives — and never a byte that was not checked: each chunk read from the
// download's file is checked against the manifest again before it is yielded (the file could change
// under us only by a bug, but the rule is "the client never gets an unverified byte").
//
// The download itself is the blob layer's usual fetch (joined if one runs, e.g. the mirror's); this
// only watches its bitmap. Once the blob is complete and renamed into place, the rest is read from the
// stored copy through the verified reader (verified-read.ts).

import { open } from 'node:fs/promises'
import { MycelError } from '../../protocol/errors.js'
import type { Timers } from '../../protocol/ports.js'
import { sleep } from '../time.js'
import { chunkIntact } from './chunk-check.js'
import { chunkRange, readFully } from './manifest.js'
import { hexOf } from './refs.js'
import type { BlobTarget, PartialView } from './types.js'
import type { ByteSpan } from './verified-read.js'

/** How often the download's bitmap is looked at while waiting for the next chunk. */
const POLL_MS = 10

export interface StreamingReadParts {
  has: (digest: Uint8Array) => Promise<boolean>
  /** The stored copy, verified as read (BlobService.readVerified). */
  readStored: (digest: Uint8Array, span: ByteSpan) => Promise<{ chunks: AsyncGenerator<Uint8Array> }>
  /** Joins or starts the fetch; resolves when the blob is stored, rejects when it cannot be had. */
  fetch: (target: BlobTarget) => Promise<void>
  partialOf: (hex: string) => PartialView | undefined
  timers: Timers
}

/** The bytes of `span` of the blob, as they become verified here; throws UNAVAILABLE if the fetch fails first. */
export async function * readWhileFetching (p: StreamingReadParts, target: BlobTarget, span: ByteSpan): AsyncGenerator<Uint8Array> {
  if (span.end < span.start) return
  let failed: unknown
  let done = false
  p.fetch(target).then(() => { done = true }, err => { failed = err; done = true })
  let next = span.start // the next byte to hand on
  while (next <= span.end) {
    if (await p.has(target.digest)) {
      // Complete: the rest from the stored copy.
      const stored = await p.readStored(target.digest, { start: next, end: span.end })
      yield * stored.chunks
      return
    }
    const view = p.partialOf(hexOf(target.digest))
    const i = view === undefined ? -1 : Math.floor(next / view.manifest.chunkSize)
    if (view !== undefined && view.have[i] === 1) {
      const bytes = await readChunk(view, i).catch(() => undefined) // renamed into place meanwhile: read it from there
      if (bytes !== undefined) {
        const [start, end] = chunkRange(view.manifest, i)
        const expected = view.manifest.chunks[i]
        if (expected === undefined || !await chunkIntact(bytes, expected)) throw new MycelError('UNAVAILABLE', `chunk ${i} of ${hexOf(target.digest)} did not verify while streaming`)
        const from = next - start
        const to = Math.min(span.end + 1, end) - start
        yield bytes.subarray(from, to)
        next = start + to
        continue
      }
    }
    if (done && failed !== undefined && !await p.has(target.digest)) {
      throw failed instanceof MycelError ? failed : new MycelError('UNAVAILABLE', `the blob could not be fetched: ${String(failed)}`, { cause: failed })
    }
    await sleep(p.timers, POLL_MS)
  }
}

async function readChunk (view: PartialView, i: number): Promise<Uint8Array> {
  const [start, end] = chunkRange(view.manifest, i)
  const file = await open(view.path, 'r')
  try {
    const buf = Buffer.allocUnsafe(end - start)
    await readFully(file, buf, end - start, start)
    return buf
  } finally {
    await file.close()
  }
}
