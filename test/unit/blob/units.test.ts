// Unit tests of the blob layer's parts: manifest, wire frames, partial
// downloads (resume), the multi-holder scheduler (with in-memory channels),
// policy, references and collection.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlobStore } from '../../../daemon/blob/store.js'
import type { PeerChannel } from '../../../daemon/blob/client.js'
import { FetchJob } from '../../../daemon/blob/fetcher.js'
import { buildManifest, chunkRange, decodeManifest, encodeManifest, type Manifest } from '../../../daemon/blob/manifest.js'
import { PartialBlob } from '../../../daemon/blob/partial.js'
import { TakeOrder } from '../../../daemon/blob/take-order.js'
import { ReplicationPolicy } from '../../../daemon/blob/policy.js'
import { BlobRefs } from '../../../daemon/blob/refs.js'
import { parseDigestRef } from '../../../daemon/blob/service.js'
import { readFrames } from '../../../daemon/net/frame.js'
import { allocChunkFrame, checkRequest, decodePayload, encodeControl, packBits, unpackBits, type Request } from '../../../daemon/blob/wire.js'
import { MycelError } from '../../../protocol/errors.js'
import { FrameDecoder } from '../../../daemon/net/frame.js'
import { cidOf } from '../../../daemon/blob/store.js'
import type { Event } from '../../../protocol/event.js'

const CHUNK = 4096

async function * once (bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes }

/** A PeerChannel stand-in for the scheduler's tests, which calls only get, close and abort: get is the test's. */
function fakeChannel (peer: string, get: PeerChannel['get']): PeerChannel {
  return { peer, failed: false, close: () => {}, abort: () => {}, get } as unknown as PeerChannel
}

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

  it('partial: a chunk that does not verify is not written; a transferred buffer moves to the worker', async () => {
    const p = await PartialBlob.open(store.rootDir, manifest)
    const bad = Uint8Array.from(chunk(2))
    bad[0] = (bad[0] as number) ^ 1
    expect(await p.accept(2, bad, { transfer: true })).toBe(false)
    expect(bad.byteLength).toBe(0) // handed over, not copied
    expect(p.have[2]).toBe(0)
    const good = Uint8Array.from(chunk(2))
    expect(await p.accept(2, good, { transfer: true })).toBe(true)
    expect(await p.accept(2, chunk(2))).toBe(false) // already here: not written twice
    expect(p.chunksHave).toBe(1)
    expect(bytes.byteLength).toBe(CHUNK * 10 + 100) // a copied (not transferred) source stays usable
    await p.discard()
  })

  it('partial: a restart keeps verified chunks, drops ones that no longer verify, and the digest checks out', async () => {
    let p = await PartialBlob.open(store.rootDir, manifest)
    for (const i of [0, 1, 5, 10]) expect(await p.accept(i, chunk(i))).toBe(true)
    await p.close()
    // Corrupt chunk 5 on disk: the bitmap claims it, the re-hash must not.
    const { open } = await import('node:fs/promises')
    const f = await open(p.path, 'r+')
    await f.write(new Uint8Array([0xff ^ (bytes[5 * CHUNK] as number)]), 0, 1, 5 * CHUNK)
    await f.close()
    p = await PartialBlob.open(store.rootDir, manifest)
    expect([...p.have]).toEqual([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    for (let i = 0; i < 11; i++) if (p.have[i] === 0) expect(await p.accept(i, chunk(i))).toBe(true)
    expect(p.complete).toBe(true)
    expect(await p.finish()).toBe(true)
    expect(await p.verifies(3, chunk(4))).toBe(false)
    await p.discard()
  })

  it('scheduler: three holders, each chunk received once; a lying holder is dropped and its chunks come from the others', async () => {
    const served = new Map<string, number[]>()
    const channel = (peer: string, lie: boolean): PeerChannel => fakeChannel(peer, async (_d, from, to, onChunk) => {
      for (let i = from; i < to; i++) {
        served.set(peer, [...(served.get(peer) ?? []), i])
        const data = Uint8Array.from(chunk(i))
        if (lie) data[0] = (data[0] as number) ^ 1
        await new Promise(resolve => setImmediate(resolve))
        await onChunk(i, data)
      }
    })
    const job = new FetchJob(manifest, { blobs: store, open: async peer => channel(peer, peer === 'liar') })
    await job.run(['liar', 'h1', 'h2']) // the liar first: its lanes take the first ranges
    expect(await store.verify(manifest.digest)).toBe(true)
    const p = job.progress
    expect(p.holders.liar?.badChunks).toBeGreaterThanOrEqual(3)
    expect(p.holders.liar?.failed).toMatch(/did not match/)
    expect(p.holders.liar?.chunks).toBe(0)
    expect((p.holders.h1?.chunks ?? 0) + (p.holders.h2?.chunks ?? 0)).toBe(11)
    expect(p.duplicates).toBe(0)
    const good = [...(served.get('h1') ?? []), ...(served.get('h2') ?? [])]
    expect(new Set(good).size).toBe(good.length) // no chunk asked of two honest holders
  })

  it('scheduler: three holders keep a bounded number of ranges out (two each at least), and the fastest takes the most', async () => {
    // 200 chunks of 4 KiB: 25 ranges of 8 chunks; the job's bound is 3 ranges out.
    const big = randomBytes(CHUNK * 200)
    const src = new BlobStore({ dir: join(dir, 'src2'), maxBlobBytes: 1 << 30 })
    await src.start()
    const info = await src.put(once(big))
    const m = await buildManifest(src.pathOf(info.digest), info.digest, CHUNK)
    let out = 0
    let maxOut = 0
    const channel = (peer: string, delayMs: number): PeerChannel => fakeChannel(peer, async (_d, from, to, onChunk) => {
      maxOut = Math.max(maxOut, ++out)
      try {
        for (let i = from; i < to; i++) {
          await new Promise(resolve => setTimeout(resolve, delayMs))
          await onChunk(i, Uint8Array.from(big.subarray(i * CHUNK, (i + 1) * CHUNK)))
        }
      } finally { out-- }
    })
    const job = new FetchJob(m, { blobs: store, open: async peer => channel(peer, peer === 'fast' ? 0 : 15) })
    await job.run(['slow1', 'slow2', 'fast'])
    expect(await store.verify(m.digest)).toBe(true)
    expect(maxOut).toBeLessThanOrEqual(3 + 2 * 2) // the first holder's three lanes and two each for the others, at the start
    const chunksOf = (p: string): number => job.progress.holders[p]?.chunks ?? 0
    expect(chunksOf('fast')).toBeGreaterThan(chunksOf('slow1') + chunksOf('slow2'))
    expect(job.progress.duplicates).toBe(0)
  })

  it('scheduler: with 1 MiB chunks, three holders have no more bytes on the way than one (ranges shrink to one chunk)', async () => {
    const { IN_FLIGHT_BYTES } = await import('../../../daemon/blob/constants.js')
    const MiB = 1024 * 1024
    const big = randomBytes(16 * MiB)
    const src = new BlobStore({ dir: join(dir, 'src3'), maxBlobBytes: 1 << 30 })
    await src.start()
    const info = await src.put(once(big))
    const m = await buildManifest(src.pathOf(info.digest), info.digest, MiB)
    const fetchWith = async (holders: string[], into: BlobStore): Promise<number> => {
      let onTheWay = 0
      let most = 0
      const channel = (peer: string): PeerChannel => fakeChannel(peer, async (_d, from, to, onChunk) => {
        onTheWay += to - from
        most = Math.max(most, onTheWay)
        for (let i = from; i < to; i++) {
          await new Promise(resolve => setTimeout(resolve, 2))
          onTheWay--
          await onChunk(i, Uint8Array.from(big.subarray(i * MiB, (i + 1) * MiB)))
        }
      })
      const job = new FetchJob(m, { blobs: into, open: async peer => channel(peer) })
      await job.run(holders)
      expect(await into.verify(m.digest)).toBe(true)
      return most * MiB
    }
    const one = await fetchWith(['h1'], store)
    const other = new BlobStore({ dir: join(dir, 'dst3'), maxBlobBytes: 1 << 30 })
    await other.start()
    const three = await fetchWith(['h1', 'h2', 'h3'], other)
    expect(one).toBeLessThanOrEqual(IN_FLIGHT_BYTES)
    // Two one-chunk ranges per holder, plus the one extra range a clearly faster holder may take.
    expect(three).toBeLessThanOrEqual(IN_FLIGHT_BYTES + MiB)
  })

  it('scheduler: a holder added before run() (its have answer came while the manifest was fetched) joins the job', async () => {
    const asked = new Set<string>()
    const channel = (peer: string): PeerChannel => fakeChannel(peer, async (_d, from, to, onChunk) => {
      asked.add(peer)
      for (let i = from; i < to; i++) {
        await new Promise(resolve => setTimeout(resolve, 2))
        await onChunk(i, Uint8Array.from(chunk(i)))
      }
    })
    const job = new FetchJob(manifest, { blobs: store, open: async peer => channel(peer) }, { endgameAfterMs: 60_000 })
    job.addHolder('late')
    await job.run(['first'])
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(Object.keys(job.progress.holders).sort()).toEqual(['first', 'late']) // both worked for the job
    expect(job.progress.holders.late?.failed).toBeUndefined()
    expect(asked.has('first')).toBe(true)
  })

  it('scheduler: end game — chunks lingering with a slow holder are also asked of an idle one', async () => {
    const channel = (peer: string, delayMs: number): PeerChannel => {
      let closed = false
      return {
        peer,
        failed: false,
        close: () => { closed = true },
        abort: () => { closed = true },
        get: async (_d: Uint8Array, from: number, to: number, onChunk: (i: number, d: Uint8Array) => Promise<void>) => {
          for (let i = from; i < to; i++) {
            await new Promise(resolve => setTimeout(resolve, delayMs))
            if (closed) throw new Error('closed')
            await onChunk(i, Uint8Array.from(chunk(i)))
          }
        }
      } as unknown as PeerChannel
    }
    const job = new FetchJob(manifest, { blobs: store, open: async peer => channel(peer, peer === 'slow' ? 5_000 : 1) }, { endgameAfterMs: 50 })
    const t0 = Date.now()
    await job.run(['slow', 'fast'])
    expect(Date.now() - t0).toBeLessThan(2_000)
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(job.progress.endgameChunks).toBeGreaterThan(0)
    expect(job.progress.holders.fast?.chunks).toBe(11)
    expect(job.progress.duplicates).toBe(0) // the slow copies never arrived
  })

  it('scheduler: a partial holder is asked only for chunks its bitmap shows, asked again as it gains more; a refused range is no failure', async () => {
    const partHas = new Uint8Array(manifest.chunks.length)
    partHas.fill(1, 0, 4)
    let bitmaps = 0
    let refuse = true
    const outside: number[] = []
    const channel = (peer: string): PeerChannel => {
      const ch = fakeChannel(peer, async (_d, from, to, onChunk) => {
        if (peer === 'part' && refuse) { refuse = false; throw new MycelError('NOT_FOUND', 'chunk not here yet') }
        for (let i = from; i < to; i++) {
          if (peer === 'part' && partHas[i] !== 1) outside.push(i)
          await new Promise(resolve => setTimeout(resolve, peer === 'whole' ? 30 : 1))
          await onChunk(i, Uint8Array.from(chunk(i)))
        }
      })
      return Object.assign(ch, {
        bitmap: async () => {
          if (++bitmaps === 3) partHas.fill(1, 0, 8) // it got further meanwhile
          return { have: Uint8Array.from(partHas), coming: new Uint8Array(partHas.length) }
        }
      })
    }
    // The whole holder answers later and is slow, so the partial one takes what it has first.
    const open = async (peer: string): Promise<PeerChannel> => {
      if (peer === 'whole') await new Promise(resolve => setTimeout(resolve, 100))
      return channel(peer)
    }
    const job = new FetchJob(manifest, { blobs: store, open }, { endgameAfterMs: 60_000 })
    await job.run(['whole'], ['part'])
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(outside).toEqual([])
    expect(bitmaps).toBeGreaterThanOrEqual(2) // the first, and again after the refusal
    const part = job.progress.holders.part
    expect(part?.failed).toBeUndefined()
    expect(part?.partialChunks).toBe(part?.chunks)
    expect(part?.chunks).toBeGreaterThanOrEqual(4)
    expect((part?.chunks ?? 0) + (job.progress.holders.whole?.chunks ?? 0)).toBe(manifest.chunks.length)
    expect(job.progress.duplicates).toBe(0)
  })

  it('scheduler: a partial holder found complete (its bitmap says so) is asked for anything', async () => {
    let bitmaps = 0
    const ch = fakeChannel('p', async (_d, from, to, onChunk) => {
      for (let i = from; i < to; i++) await onChunk(i, Uint8Array.from(chunk(i)))
    })
    const job = new FetchJob(manifest, { blobs: store, open: async () => Object.assign(ch, { bitmap: async () => { bitmaps++; return undefined } }) })
    await job.run([], ['p'])
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(bitmaps).toBe(1)
    expect(job.progress.holders.p?.chunks).toBe(manifest.chunks.length)
    expect(job.progress.holders.p?.partialChunks).toBeUndefined()
  })

  it('take order: chunk order without a seed; with one, whole blocks in an order of the seed\'s, each chunk once', () => {
    const plain = new TakeOrder(10)
    expect(Array.from({ length: 10 }, (_, j) => plain.at(j))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    const order = (seed: number): number[] => { const o = new TakeOrder(10, seed, 4); return Array.from({ length: 10 }, (_, j) => o.at(j)) }
    const a = order(1)
    expect([...a].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(a).toEqual(order(1)) // the same seed, the same order
    // Blocks of 4 (the last short) stay whole and in chunk order inside: chunk i comes right after i - 1
    // unless i starts a block.
    const o1 = new TakeOrder(10, 1, 4)
    for (let i = 1; i < 10; i++) if (i % 4 !== 0) expect(o1.positionOf(i)).toBe(o1.positionOf(i - 1) + 1)
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8].map(order).map(String)
    expect(new Set(seeds).size).toBeGreaterThan(1) // seeds give different orders
    const o = new TakeOrder(10, 3, 4)
    for (let i = 0; i < 10; i++) expect(o.at(o.positionOf(i))).toBe(i)
  })

  it('scheduler: a shuffled order still takes every chunk once, and asks a whole holder only for what no partial holder has or fetches', async () => {
    const asked = new Map<string, number[]>()
    const partHas = new Uint8Array(manifest.chunks.length)
    partHas.fill(1, 0, 5)
    const coming = new Uint8Array(manifest.chunks.length)
    coming[9] = 1 // the partial holder is fetching chunk 9: it will have it soon
    const channel = (peer: string): PeerChannel => Object.assign(fakeChannel(peer, async (_d, from, to, onChunk) => {
      for (let i = from; i < to; i++) {
        asked.set(peer, [...(asked.get(peer) ?? []), i])
        if (peer === 'part' && i === 4) partHas[9] = 1 // ...and now it has
        await new Promise(resolve => setTimeout(resolve, 2))
        await onChunk(i, Uint8Array.from(chunk(i)))
      }
    }), { bitmap: async () => ({ have: Uint8Array.from(partHas), coming: Uint8Array.from(coming.map((c, i) => c === 1 && partHas[i] !== 1 ? 1 : 0)) }) })
    // The whole holder opens once the partial one's bitmap is known.
    const open = async (peer: string): Promise<PeerChannel> => {
      if (peer === 'whole') await new Promise(resolve => setTimeout(resolve, 50))
      return channel(peer)
    }
    const job = new FetchJob(manifest, { blobs: store, open }, { shuffleSeed: 7, endgameAfterMs: 60_000 })
    await job.run(['whole'], ['part'])
    expect(await store.verify(manifest.digest)).toBe(true)
    const all = [...(asked.get('whole') ?? []), ...(asked.get('part') ?? [])]
    expect(all.sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect((asked.get('whole') ?? []).filter(i => i < 5 || i === 9)).toEqual([])
    expect(job.progress.duplicates).toBe(0)
  })

  it('scheduler: a chunk a partial holder says it is fetching, but never gets, comes from a whole holder after the end game\'s patience', async () => {
    const never = new Uint8Array(manifest.chunks.length).fill(1) // it says it is fetching everything
    const asked: number[] = []
    const channel = (peer: string): PeerChannel => Object.assign(fakeChannel(peer, async (_d, from, to, onChunk) => {
      for (let i = from; i < to; i++) { asked.push(i); await onChunk(i, Uint8Array.from(chunk(i))) }
    }), { bitmap: async () => ({ have: new Uint8Array(never.length), coming: Uint8Array.from(never) }) })
    const open = async (peer: string): Promise<PeerChannel> => {
      if (peer === 'whole') await new Promise(resolve => setTimeout(resolve, 20)) // after the bitmap came
      return channel(peer)
    }
    const job = new FetchJob(manifest, { blobs: store, open }, { endgameAfterMs: 100 })
    const started = Date.now()
    await job.run(['whole'], ['stuck'])
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(Date.now() - started).toBeGreaterThanOrEqual(100) // it waited for the partial holder first
    expect(job.progress.holders.whole?.chunks).toBe(manifest.chunks.length)
    expect(asked.sort((x, y) => x - y)).toEqual(Array.from({ length: manifest.chunks.length }, (_, i) => i))
  })

  it('scheduler: with no usable holder the job fails UNAVAILABLE and keeps its partial file', async () => {
    const job = new FetchJob(manifest, { blobs: store, open: async () => { throw new Error('unreachable') } })
    await expect(job.run(['x'])).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(await store.has(manifest.digest)).toBe(false)
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
