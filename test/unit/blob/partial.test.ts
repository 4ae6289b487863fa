// A download in progress (partial.ts), both ways it is kept: by a worker
// thread (blobs over INLINE_MAX_BYTES) and on the main thread (small blobs,
// inline-chunk-disk.ts). The same rules hold for both: a chunk that does not
// verify is not written, a chunk is written once, a restart keeps only the
// chunks that still verify, and the whole digest is checked at the end.
import { randomBytes } from 'node:crypto'
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { INLINE_MAX_BYTES } from '../../../daemon/blob/inline-chunk-disk.js'
import { buildManifest, chunkRange, type Manifest } from '../../../daemon/blob/manifest.js'
import { PartialBlob } from '../../../daemon/blob/partial.js'
import { BlobStore } from '../../../daemon/blob/store.js'

async function * once (bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes }

// 11 chunks, the last short: 44 KB on the main thread, 1.4 MB on a worker.
describe.each([
  { way: 'on the main thread', chunk: 4096 },
  { way: 'on a worker thread', chunk: 128 * 1024 }
])('a partial download $way', ({ way, chunk: CHUNK }) => {
  let dir: string
  let store: BlobStore
  let bytes: Buffer
  let manifest: Manifest
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-partial-'))
    const src = new BlobStore({ dir: join(dir, 'src'), maxBlobBytes: 1 << 30 })
    await src.start()
    bytes = randomBytes(CHUNK * 10 + 100)
    expect(bytes.byteLength > INLINE_MAX_BYTES).toBe(way === 'on a worker thread')
    const info = await src.put(once(bytes))
    manifest = await buildManifest(src.pathOf(info.digest), info.digest, CHUNK)
    store = new BlobStore({ dir: join(dir, 'dst'), maxBlobBytes: 1 << 30 })
    await store.start()
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const chunk = (i: number): Uint8Array => { const [s, e] = chunkRange(manifest, i); return bytes.subarray(s, e) }

  it('a chunk that does not verify is not written; one that does is written once; a transferred buffer is given up', async () => {
    const p = await PartialBlob.open(store.rootDir, manifest)
    const bad = Uint8Array.from(chunk(2))
    bad[0] = (bad[0] as number) ^ 1
    expect(await p.accept(2, bad, { transfer: true })).toBe(false)
    // A worker takes the buffer itself (moved, not copied); the main thread just keeps using it.
    if (way === 'on a worker thread') expect(bad.byteLength).toBe(0)
    expect(p.have[2]).toBe(0)
    const good = Uint8Array.from(chunk(2))
    expect(await p.accept(2, good, { transfer: true })).toBe(true)
    expect(await p.accept(2, chunk(2))).toBe(false) // already here: not written twice
    expect(p.chunksHave).toBe(1)
    expect(bytes.byteLength).toBe(CHUNK * 10 + 100) // a copied (not transferred) source stays usable
    await p.discard()
  })

  it('a restart keeps verified chunks, drops ones that no longer verify, and the digest checks out', async () => {
    let p = await PartialBlob.open(store.rootDir, manifest)
    for (const i of [0, 1, 5, 10]) expect(await p.accept(i, chunk(i))).toBe(true)
    await p.close()
    // Corrupt chunk 5 on disk: the bitmap claims it, the re-hash must not.
    const f = await open(p.path, 'r+')
    await f.write(new Uint8Array([0xff ^ (bytes[5 * CHUNK] as number)]), 0, 1, 5 * CHUNK)
    await f.close()
    p = await PartialBlob.open(store.rootDir, manifest)
    expect([...p.have]).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    // Out of order: the whole-blob hash still takes them in order.
    for (const i of [9, 3, 2, 4, 5, 8, 7, 6]) expect(await p.accept(i, chunk(i))).toBe(true)
    expect(p.complete).toBe(true)
    expect(await p.finish()).toBe(true)
    expect(await p.verifies(3, chunk(4))).toBe(false)
    await p.discard()
  })

  it('a bitmap write cut short (its temp file left empty by a kill) costs nothing: the bitmap is replaced, never truncated in place', async () => {
    const p = await PartialBlob.open(store.rootDir, manifest)
    for (const i of [0, 1, 2]) expect(await p.accept(i, chunk(i))).toBe(true)
    await p.close()
    await writeFile(`${p.path}.bitmap.tmp`, new Uint8Array(0))
    const q = await PartialBlob.open(store.rootDir, manifest)
    expect(q.chunksHave).toBe(3)
    await q.discard()
  })

  it('finish says no when the verified chunks do not add up to the digest the manifest names', async () => {
    const p = await PartialBlob.open(store.rootDir, manifest)
    for (let i = 0; i < 11; i++) expect(await p.accept(i, chunk(i))).toBe(true)
    // Every chunk matches its hash, but the manifest lies about the whole: only the final check catches it.
    const wrong = { ...manifest, digest: new Uint8Array(32) }
    const q = await PartialBlob.open(join(dir, 'other'), wrong)
    for (let i = 0; i < 11; i++) expect(await q.accept(i, chunk(i))).toBe(true)
    expect(await q.finish()).toBe(false)
    expect(await p.finish()).toBe(true)
    await q.discard()
    await p.discard()
  })
})
