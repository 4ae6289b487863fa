// The fetch's I/O around the chunk scheduler (daemon/blob/fetcher.ts): channels
// in memory, a real partial file and blob store, timers on the simulator's event
// queue. What to ask of whom is chunk-scheduler.test.ts's; here, that what the
// scheduler decides reaches the channels and the disk: bad chunks are counted and
// their holder dropped, refused ranges lead to a new bitmap, holders join early
// or turn out complete, the lanes' waits run on the injected timers, and a fetch
// with no usable holder fails and keeps its file. No test sleeps or reads the clock.
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ChunkBitmap, PeerChannel } from '../../../daemon/blob/client.js'
import { FetchJob, type FetchJobInit } from '../../../daemon/blob/fetcher.js'
import { buildManifest, chunkRange, type Manifest } from '../../../daemon/blob/manifest.js'
import { PartialBlob } from '../../../daemon/blob/partial.js'
import { BlobStore } from '../../../daemon/blob/store.js'
import { MycelError } from '../../../protocol/errors.js'
import { EventQueue } from '../../../sim/event-queue.js'
import { queueTimers } from '../../../sim/timers.js'

const CHUNK = 4096

async function * once (bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes }

type Get = PeerChannel['get']

/** A PeerChannel stand-in: get (and bitmap, for a partial holder) are the test's; close/abort end it. */
function fakeChannel (peer: string, get: (closed: () => boolean) => Get, bitmap?: () => Promise<ChunkBitmap | undefined>): PeerChannel {
  let closed = false
  const ch = { peer, failed: false, close: () => { closed = true }, abort: () => { closed = true }, get: get(() => closed) }
  return (bitmap === undefined ? ch : { ...ch, bitmap }) as unknown as PeerChannel
}

describe('fetch job (I/O around the scheduler)', () => {
  let dir: string
  let store: BlobStore
  let bytes: Buffer
  let manifest: Manifest
  let queue: EventQueue
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-fetcher-'))
    const src = new BlobStore({ dir: join(dir, 'src'), maxBlobBytes: 1 << 30 })
    await src.start()
    bytes = randomBytes(CHUNK * 10 + 100)
    const info = await src.put(once(bytes))
    manifest = await buildManifest(src.pathOf(info.digest), info.digest, CHUNK)
    store = new BlobStore({ dir: join(dir, 'dst'), maxBlobBytes: 1 << 30 })
    await store.start()
    queue = new EventQueue()
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const chunk = (i: number): Uint8Array => { const [s, e] = chunkRange(manifest, i); return Uint8Array.from(bytes.subarray(s, e)) }
  /** Serves every chunk asked, at once; `lie`: each with a flipped bit. */
  const serving = (lie = false) => (): Get => async (_d, from, to, onChunk) => {
    for (let i = from; i < to; i++) {
      const data = chunk(i)
      if (lie) data[0] = (data[0] as number) ^ 1
      await onChunk(i, data)
    }
  }
  const job = (open: (peer: string) => Promise<PeerChannel>, init: FetchJobInit = {}): FetchJob =>
    new FetchJob(manifest, { blobs: store, open, clock: { nowMs: () => 0 }, timers: queueTimers(queue) }, init)
  /** Runs `promise` to its end, moving virtual time on 10 ms at every turn of the event loop it leaves idle. */
  const inVirtualTime = async <T>(promise: Promise<T>): Promise<T> => {
    let settled = false
    const out = promise.finally(() => { settled = true })
    while (!settled) {
      await new Promise(resolve => setImmediate(resolve))
      queue.runUntil(queue.now() + 10)
    }
    return await out
  }

  it('a lying holder is dropped after three bad chunks; the others supply every chunk, once', async () => {
    const served = new Map<string, number>()
    const open = async (peer: string): Promise<PeerChannel> => fakeChannel(peer, () => async (d, from, to, onChunk) => {
      served.set(peer, (served.get(peer) ?? 0) + to - from)
      await serving(peer === 'liar')()(d, from, to, onChunk)
    })
    const j = job(open)
    await j.run(['liar', 'h1', 'h2']) // the liar first: its lanes take the first ranges
    expect(await store.verify(manifest.digest)).toBe(true)
    const p = j.progress
    expect(p.holders.liar?.badChunks).toBeGreaterThanOrEqual(3)
    expect(p.holders.liar?.failed).toMatch(/did not match/)
    expect(p.holders.liar?.chunks).toBe(0)
    expect((p.holders.h1?.chunks ?? 0) + (p.holders.h2?.chunks ?? 0)).toBe(11)
    expect(p.duplicates).toBe(0)
    expect(p.bytesHave).toBe(bytes.length)
  })

  it('a holder added before run() (its have answer came while the manifest was fetched) joins the job', async () => {
    const j = job(async peer => fakeChannel(peer, serving()), { endgameAfterMs: 60_000 })
    j.addHolder('late')
    await j.run(['first'])
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(Object.keys(j.progress.holders).sort()).toEqual(['first', 'late']) // both worked for the job
    expect(j.progress.holders.late?.failed).toBeUndefined()
    expect(j.progress.holders.first?.chunks).toBeGreaterThan(0)
  })

  it('a partial holder refusing a range its bitmap showed is asked its bitmap again, and is no failure', async () => {
    let bitmaps = 0
    let refuse = true
    const open = async (peer: string): Promise<PeerChannel> => fakeChannel(peer, () => async (d, from, to, onChunk) => {
      if (refuse) { refuse = false; throw new MycelError('NOT_FOUND', 'chunk not here yet') }
      await serving()()(d, from, to, onChunk)
    }, async () => { bitmaps++; return { have: new Uint8Array(11).fill(1), coming: new Uint8Array(11) } })
    const j = job(open)
    await inVirtualTime(j.run([], ['part']))
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(bitmaps).toBeGreaterThanOrEqual(2) // the first, and again after the refusal
    expect(j.progress.holders.part?.failed).toBeUndefined()
    expect(j.progress.holders.part?.partialChunks).toBe(11)
  })

  it('a partial holder found complete (its bitmap says so) is asked for anything', async () => {
    let bitmaps = 0
    const j = job(async peer => fakeChannel(peer, serving(), async () => { bitmaps++; return undefined }))
    await j.run([], ['p'])
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(bitmaps).toBe(1)
    expect(j.progress.holders.p?.chunks).toBe(manifest.chunks.length)
    expect(j.progress.holders.p?.partialChunks).toBeUndefined()
  })

  it('end game on the injected timers: an idle lane wakes, asks a slow holder\'s chunks again, and the first copy wins', async () => {
    const open = async (peer: string): Promise<PeerChannel> => fakeChannel(peer, closed => peer === 'slow'
      ? async () => { while (!closed()) await new Promise(resolve => setImmediate(resolve)); throw new Error('closed') } // never sends
      : serving()())
    const j = job(open, { endgameAfterMs: 50 })
    await inVirtualTime(j.run(['slow', 'fast']))
    expect(await store.verify(manifest.digest)).toBe(true)
    expect(queue.now()).toBeGreaterThanOrEqual(50) // not before the patience, in virtual time
    expect(j.progress.endgameChunks).toBeGreaterThan(0)
    expect(j.progress.holders.fast?.chunks).toBe(11)
    expect(j.progress.duplicates).toBe(0)
  })

  it('with no usable holder the job fails UNAVAILABLE and keeps its partial file', async () => {
    let calls = 0
    const half = job(async peer => fakeChannel(peer, () => async (d, from, to, onChunk) => {
      if (calls++ > 0) throw new MycelError('CLOSED', 'gone')
      await serving()()(d, from, Math.min(to, from + 3), onChunk)
    }))
    await expect(half.run(['x'])).rejects.toMatchObject({ code: 'UNAVAILABLE' })
    expect(await store.has(manifest.digest)).toBe(false)
    expect(await readdir(PartialBlob.dirOf(store.rootDir))).toContain(Buffer.from(manifest.digest).toString('hex'))
    const none = job(async () => { throw new Error('unreachable') })
    await expect(none.run(['x'])).rejects.toMatchObject({ code: 'UNAVAILABLE' })
  })
})
