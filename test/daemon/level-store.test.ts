import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LevelStore } from '../../daemon/store/level-store.js'
import type { PersistBatch } from '../../protocol/replica-api.js'
import { decodeFake, put } from './fake-events.js'

describe('LevelStore', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mycel-store-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const open = async (): Promise<LevelStore> => {
    const store = new LevelStore({ location: join(dir, 'store') }, { decodeEvent: decodeFake })
    await store.open()
    return store
  }

  it('round-trips batches into a snapshot, superseded winners gone', async () => {
    const store = await open()
    const a1 = put('A', 1, 100n, 'x')
    const b1 = put('B', 1, 200n, 'y')
    const a2 = put('A', 2, 300n, 'x')
    const batches: PersistBatch[] = [
      { n: 1, put: [a1, b1], remove: [], vv: [['A', 1], ['B', 1]], highWater: 200n },
      { n: 2, put: [a2], remove: [{ author: 'A', seq: 1, key: 'x' }], vv: [['A', 2]], highWater: 300n }
    ]
    await store.write(batches.slice(0, 1))
    await store.write(batches.slice(1))
    await store.close()

    const again = await open()
    const snap = await again.loadSnapshot()
    expect(snap.events.map(e => `${e.author}:${e.seq}:${e.body.key}`).sort()).toEqual(['A:2:x', 'B:1:y'])
    expect(new Map(snap.vv)).toEqual(new Map([['A', 2], ['B', 1]]))
    expect(snap.highWater).toBe(300n)
    expect(await again.check()).toEqual({ ok: true, events: 2, indexed: 2, problems: [] })
    await again.close()
  })

  it('merges several batches into one write in order', async () => {
    const store = await open()
    await store.write([
      { n: 1, put: [put('A', 1, 1n, 'k')], remove: [], vv: [['A', 1]], highWater: 1n },
      { n: 2, put: [put('A', 2, 2n, 'k')], remove: [{ author: 'A', seq: 1, key: 'k' }], vv: [['A', 2]], highWater: 2n }
    ])
    const snap = await store.loadSnapshot()
    expect(snap.events.map(e => e.seq)).toEqual([2])
    expect((await store.check()).ok).toBe(true)
    await store.close()
  })

  it('an event put and removed in one batch is not stored', async () => {
    const store = await open()
    await store.write([{ n: 1, put: [put('A', 1, 1n, 'k'), put('B', 1, 2n, 'k')], remove: [{ author: 'A', seq: 1, key: 'k' }], vv: [['A', 1], ['B', 1]], highWater: 2n }])
    const snap = await store.loadSnapshot()
    expect(snap.events.map(e => e.author)).toEqual(['B'])
    expect((await store.check()).ok).toBe(true)
    await store.close()
  })

  it('a batch is all-or-nothing: a failing write leaves the previous state', async () => {
    const store = await open()
    await store.write([{ n: 1, put: [put('A', 1, 1n, 'k')], remove: [], vv: [['A', 1]], highWater: 1n }])
    // An event whose bytes are not bytes makes LevelDB reject the whole batch after
    // the good operations before it were queued.
    const bad = { ...put('A', 2, 2n, 'other'), bytes: undefined as unknown as Uint8Array }
    await expect(store.write([{ n: 2, put: [put('B', 1, 2n, 'b'), bad], remove: [{ author: 'A', seq: 1, key: 'k' }], vv: [['A', 2], ['B', 1]], highWater: 2n }]))
      .rejects.toThrow()
    const snap = await store.loadSnapshot()
    expect(snap.events.map(e => `${e.author}:${e.seq}`)).toEqual(['A:1'])
    expect(snap.vv).toEqual([['A', 1]])
    expect(snap.highWater).toBe(1n)
    await store.close()
  })

  it('check() reports an index that disagrees with the events', async () => {
    const store = await open()
    await store.write([{ n: 1, put: [put('A', 1, 5n, 'k')], remove: [], vv: [['A', 0]], highWater: 1n }])
    const report = await store.check()
    expect(report.ok).toBe(false)
    expect(report.problems.join('\n')).toMatch(/not covered by vv/)
    expect(report.problems.join('\n')).toMatch(/above the high-water mark/)
    await store.close()
  })

  it('keeps the federation id', async () => {
    const store = await open()
    expect(await store.federation()).toBeUndefined()
    await store.setFederation('abcdef0123456789')
    await store.close()
    const again = await open()
    expect(await again.federation()).toBe('abcdef0123456789')
    await again.close()
  })
})

describe('LevelStore with the real codec', () => {
  it('stores canonical event bytes and decodes them strictly on load', async () => {
    const { signEvent, decodeEvent } = await import('../../protocol/codec.js')
    const dir = await mkdtemp(join(tmpdir(), 'mycel-store-'))
    try {
      const signer = { sign: () => new Uint8Array(64).fill(1) }
      const e = signEvent({ v: 1, author: 'A', seq: 1, stamp: 123n << 16n, body: { kind: 'put', key: 'k', digest: new Uint8Array(32), size: 0, props: { a: 'b' } } }, signer)
      const store = new LevelStore({ location: join(dir, 'store') }, { decodeEvent })
      await store.open()
      await store.write([{ n: 1, put: [e], remove: [], vv: [['A', 1]], highWater: e.stamp }])
      await store.close()
      const again = new LevelStore({ location: join(dir, 'store') }, { decodeEvent })
      await again.open()
      const [loaded] = (await again.loadSnapshot()).events
      expect(loaded.id).toEqual(e.id)
      expect(loaded.body).toEqual(e.body)
      expect((await again.check()).ok).toBe(true)
      await again.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
