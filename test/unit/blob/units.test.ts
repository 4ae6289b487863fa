// Unit tests of the blob layer's parts: manifest, wire frames, policy, references and collection. The multi-holder
// scheduler has its own, in virtual time (chunk-scheduler.test.ts), and the
// fetch's I/O around it too (fetcher.test.ts), partial downloads theirs (partial.test.ts).
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../../daemon/blob/store.js'
import { buildManifest, chunkRange, decodeManifest, encodeManifest, type Manifest } from '../../../daemon/blob/manifest.js'
import { ReplicationPolicy } from '../../../daemon/blob/policy.js'
import { BlobRefs } from '../../../daemon/blob/refs.js'
import { parseDigestRef } from '../../../daemon/blob/service.js'
import { readFrames } from '../../../daemon/net/frame.js'
import { allocChunkFrame, checkRequest, decodePayload, encodeControl, packBits, unpackBits, type Request } from '../../../daemon/blob/wire.js'
import { FrameDecoder } from '../../../daemon/net/frame.js'
import { cidOf } from '../../../daemon/blob/store.js'
import type { Event } from '../../../protocol/event.js'

const CHUNK = 4096

async function * once (bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes }

describe('blob layer units', () => {
  let dir: string
  let store: BlobStore
  let bytes: Buffer
  let manifest: Manifest
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-blob-unit-'))
    // A source store holding the blob, and the manifest made from it.
    const src = new BlobStore({ dir: join(dir, 'src'), maxBlobBytes: 1 << 30 })
    await src.start()
    bytes = randomBytes(CHUNK * 10 + 100)
    const info = await src.put(once(bytes))
    manifest = await buildManifest(src.pathOf(info.digest), info.digest, CHUNK)
    store = new BlobStore({ dir: join(dir, 'dst'), maxBlobBytes: 1 << 30 })
    await store.start()
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const chunk = (i: number): Uint8Array => { const [s, e] = chunkRange(manifest, i); return bytes.subarray(s, e) }

  it('manifest: 11 chunks, the last short; canonical round trip; bad shapes refused', () => {
    expect(manifest.chunks).toHaveLength(11)
    expect(Buffer.from(manifest.chunks[10] as Uint8Array)).toEqual(createHash('sha256').update(chunk(10)).digest())
    const enc = encodeManifest(manifest)
    expect(decodeManifest(enc)).toEqual(manifest)
    expect(encodeManifest(decodeManifest(enc))).toEqual(enc)
    expect(() => decodeManifest(encodeManifest({ ...manifest, chunks: manifest.chunks.slice(1) }))).toThrow(/shape/)
    expect(() => decodeManifest(encodeManifest({ ...manifest, chunkSize: 1 }))).toThrow(/shape/)
    expect(() => decodeManifest(new Uint8Array([1, 2, 3]))).toThrow()
  })

  it('put() hashes chunks in the same pass, across any piece boundaries, as buildManifest does', async () => {
    async function * pieces (): AsyncIterable<Uint8Array> { for (let off = 0; off < bytes.length; off += 1000) yield bytes.subarray(off, off + 1000) }
    const info = await store.put(pieces(), CHUNK)
    expect(info.chunks).toEqual(manifest.chunks)
    const empty = await store.put(once(new Uint8Array(0)), CHUNK)
    expect(empty.chunks).toEqual([new Uint8Array(createHash('sha256').digest())])
  })

  it('wire: control and chunk frames round-trip through the frame decoder; bad requests refused', () => {
    const dec = new FrameDecoder(1 << 20)
    const { frame, data } = allocChunkFrame(7, 3, 5)
    data.set([1, 2, 3, 4, 5])
    dec.push(encodeControl({ op: 'get', id: 1, digest: manifest.digest, from: 0, to: 2 }))
    dec.push(frame)
    expect(checkRequest(decodePayload(dec.next() as Uint8Array), 10)).toMatchObject({ op: 'get', id: 1, from: 0, to: 2 })
    expect(decodePayload(dec.next() as Uint8Array)).toEqual({ op: 'chunk', id: 7, index: 3, data: new Uint8Array([1, 2, 3, 4, 5]) })
    expect(() => checkRequest({ op: 'get', id: 1, digest: manifest.digest, from: 2, to: 2 }, 10)).toThrow(/bad blob request/)
    expect(checkRequest({ op: 'get', id: 5, digest: manifest.digest, from: 0, to: 2, ack: 4 }, 10)).toMatchObject({ ack: 4 })
    expect(() => checkRequest({ op: 'get', id: 5, digest: manifest.digest, from: 0, to: 2, ack: 'x' } as unknown as Request, 10)).toThrow(/bad blob request/)
    expect(() => checkRequest({ op: 'have', id: 1, digests: Array(11).fill(manifest.digest) }, 10)).toThrow(/bad blob request/)
    expect(() => decodePayload(new Uint8Array([9]))).toThrow(/unknown/)
    expect(checkRequest({ op: 'bitmap', id: 2, digest: manifest.digest }, 10)).toMatchObject({ op: 'bitmap' })
    expect(() => checkRequest({ op: 'bitmap', id: 2, digest: new Uint8Array(3) }, 10)).toThrow(/bad blob request/)
  })

  it('wire: a bitmap packs one bit per chunk and unpacks to the same; a wrong length is refused', () => {
    const have = Uint8Array.from({ length: 19 }, (_, i) => i % 3 === 0 ? 1 : 0)
    const bits = packBits(have)
    expect(bits.byteLength).toBe(3)
    expect(unpackBits(bits, 19)).toEqual(have)
    expect(() => unpackBits(bits, 25)).toThrow(/bitmap of 3 bytes for 25 chunks/)
  })

  it('wire: readFrames reassembles frames split anywhere, each in a buffer of its own; caps and truncation refused', async () => {
    const frames = [encodeControl({ op: 'end', id: 1 }), allocChunkFrame(2, 0, 3000).frame, encodeControl({ op: 'end', id: 3 })]
    const all = Buffer.concat(frames)
    // Pieces of odd sizes, some grouped as a list (a libp2p stream yields Uint8Array or Uint8ArrayList).
    async function * pieces (): AsyncGenerator<Uint8Array | Uint8Array[]> {
      for (let off = 0, n = 1; off < all.byteLength; off += n, n = n * 3 + 1) {
        const p = all.subarray(off, Math.min(all.byteLength, off + n))
        yield n % 2 === 0 ? [p.subarray(0, 1), p.subarray(1)] : p
      }
    }
    const got: Uint8Array[] = []
    for await (const payload of readFrames(pieces(), 1 << 20)) got.push(payload)
    expect(got.map(p => decodePayload(p).op)).toEqual(['end', 'chunk', 'end'])
    for (const p of got) expect(p.buffer.byteLength).toBe(p.byteLength) // owned: safe to transfer
    await expect(async () => { for await (const _ of readFrames(pieces(), 1000)) { /* drain */ } }).rejects.toThrow(/over the limit/)
    async function * cut (): AsyncGenerator<Uint8Array> { yield all.subarray(0, all.byteLength - 1) }
    await expect(async () => { for await (const _ of readFrames(cut(), 1 << 20)) { /* drain */ } }).rejects.toThrow(/inside a frame/)
  })

  it('policy: longest prefix wins; a blob under several keys takes the most keeping mode', () => {
    const p = new ReplicationPolicy('eager', { 'nightly/': 'on-demand', 'nightly/keep/': 'eager', 'scratch/': 'none' })
    expect(p.modeOf('release/x')).toBe('eager')
    expect(p.modeOf('nightly/x')).toBe('on-demand')
    expect(p.modeOf('nightly/keep/x')).toBe('eager')
    expect(p.modeOfKeys(['scratch/a', 'nightly/b'])).toBe('on-demand')
    expect(p.modeOfKeys(['scratch/a'])).toBe('none')
  })

  it('refs: a digest losing its last key becomes an orphan, collected only after the grace', () => {
    const put = (key: string, digest: Uint8Array): Event => ({ author: 'A', body: { kind: 'put', key, digest, size: 1, props: {} } }) as unknown as Event
    const del = (key: string): Event => ({ author: 'A', body: { kind: 'delete', key } }) as unknown as Event
    const d = manifest.digest
    const refs = new BlobRefs()
    refs.load([put('k1', d)])
    refs.applied(put('k2', d), undefined, 0)
    refs.applied(del('k1'), put('k1', d), 0)
    expect(refs.takeExpired(10_000, 100)).toEqual([])
    refs.applied(del('k2'), put('k2', d), 1000)
    expect(refs.takeExpired(1050, 100)).toEqual([])
    expect(refs.takeExpired(1100, 100)).toEqual([Buffer.from(d).toString('hex')])
    refs.noteStored('ff', 0)
    refs.applied(put('k3', Uint8Array.from(Buffer.from('ff', 'hex'))), undefined, 0)
    expect(refs.takeExpired(10_000, 0)).toEqual([])
  })

  it('refs: sha256:HEX and CIDs name digests; anything else is a key', async () => {
    const hex = Buffer.from(manifest.digest).toString('hex')
    expect(parseDigestRef(`sha256:${hex}`)).toEqual(manifest.digest)
    expect(Buffer.from(parseDigestRef(cidOf(manifest.digest)) as Uint8Array)).toEqual(Buffer.from(manifest.digest))
    expect(parseDigestRef('builds/app.tgz')).toBeUndefined()
    await writeFile(join(dir, 'unused'), '')
  })
})
