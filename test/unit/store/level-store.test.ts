// LevelStore: batches on LevelDB reopened into the same snapshot, retained versions, all-or-nothing writes, check().
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { COMPACT_MIN_REMOVED, LevelStore } from '../../../daemon/store/level-store.js'
import type { Event } from '../../../protocol/event.js'
import type { PersistBatch } from '../../../protocol/replica-api.js'
import { decodeFake, put } from '../../helpers/fake-events.js'

/** A batch where each put is its key's new winner and each removal just drops an event. */
function batch (n: number, puts: Event[], remove: Array<[string, number, string]>, vv: Array<[string, number]>, highWater: bigint): PersistBatch {
  return {
    n,
    put: puts,
    remove: remove.map(([author, seq, key]) => ({ author, seq, key })),
    winners: puts.map(e => [e.body.key, { author: e.author, seq: e.seq }]),
    vv,
    highWater
  }
}

/** A batch that drops `gone` for good, each key with its event (as collected tombstones go). */
function removal (n: number, gone: Event[]): PersistBatch {
  return { ...batch(n, [], gone.map(e => [e.author, e.seq, e.body.key]), [], BigInt(n)), winners: gone.map(e => [e.body.key, null]) }
}

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
    await store.write([batch(1, [a1, b1], [], [['A', 1], ['B', 1]], 200n)])
    await store.write([batch(2, [a2], [['A', 1, 'x']], [['A', 2]], 300n)])
    await store.close()

    const again = await open()
    const snap = await again.loadSnapshot()
    expect(snap.events.map(e => `${e.author}:${e.seq}:${e.body.key}`).sort()).toEqual(['A:2:x', 'B:1:y'])
    expect(new Map(snap.vv)).toEqual(new Map([['A', 2], ['B', 1]]))
    expect(snap.highWater).toBe(300n)
    expect(await again.check()).toEqual({ ok: true, events: 2, indexed: 2, problems: [] })
    await again.close()
  })

  it('merges several batches into one write, in order', async () => {
    const store = await open()
    await store.write([
      batch(1, [put('A', 1, 1n, 'k')], [], [['A', 1]], 1n),
      batch(2, [put('A', 2, 2n, 'k')], [['A', 1, 'k']], [['A', 2]], 2n)
    ])
    const snap = await store.loadSnapshot()
    expect(snap.events.map(e => e.seq)).toEqual([2])
    expect(await store.check()).toMatchObject({ ok: true, indexed: 1 })
    await store.close()
  })

  it('keeps several versions of a key when the core says so; the index names the winner; null drops it', async () => {
    const store = await open()
    const older = put('A', 1, 1n, 'k')
    const newer = put('B', 1, 2n, 'k')
    await store.write([{ n: 1, put: [older, newer], remove: [], winners: [['k', { author: 'B', seq: 1 }]], vv: [['A', 1], ['B', 1]], highWater: 2n }])
    expect((await store.loadSnapshot()).events).toHaveLength(2)
    expect(await store.check()).toMatchObject({ ok: true, events: 2, indexed: 1 })
    await store.write([{ n: 2, put: [], remove: [{ author: 'A', seq: 1, key: 'k' }, { author: 'B', seq: 1, key: 'k' }], winners: [['k', null]], vv: [], highWater: 2n }])
    expect(await store.check()).toEqual({ ok: true, events: 0, indexed: 0, problems: [] })
    await store.close()
  })

  it('a batch is all-or-nothing: a failing write leaves the previous state', async () => {
    const store = await open()
    await store.write([batch(1, [put('A', 1, 1n, 'k')], [], [['A', 1]], 1n)])
    // An event whose bytes are not bytes makes LevelDB refuse the whole batch,
    // including the good operations queued before it.
    const bad = { ...put('A', 2, 2n, 'other'), bytes: undefined as unknown as Uint8Array }
    await expect(store.write([batch(2, [put('B', 1, 2n, 'b'), bad], [['A', 1, 'k']], [['A', 2], ['B', 1]], 2n)])).rejects.toThrow()
    const snap = await store.loadSnapshot()
    expect(snap.events.map(e => `${e.author}:${e.seq}`)).toEqual(['A:1'])
    expect(snap.vv).toEqual([['A', 1]])
    expect(snap.highWater).toBe(1n)
    expect((await store.check()).ok).toBe(true)
    await store.close()
  })

  it('check() reports what disagrees', async () => {
    const store = await open()
    await store.write([{ n: 1, put: [put('A', 1, 5n, 'k')], remove: [], winners: [['k', { author: 'A', seq: 1 }], ['gone', { author: 'Z', seq: 9 }]], vv: [['A', 0]], highWater: 1n }])
    const report = await store.check()
    expect(report.ok).toBe(false)
    const text = report.problems.join('\n')
    expect(text).toMatch(/not covered by vv/)
    expect(text).toMatch(/above the high-water mark/)
    expect(text).toMatch(/index gone → Z!9, which is not stored/)
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
    const { signEvent, decodeEvent } = await import('../../../protocol/codec.js')
    const dir = await mkdtemp(join(tmpdir(), 'mycel-store-'))
    try {
      const signer = { sign: () => new Uint8Array(64).fill(1) }
      const e = signEvent({ v: 1, author: 'A', seq: 1, stamp: 123n << 16n, body: { kind: 'put', key: 'k', digest: new Uint8Array(32), size: 0, props: { a: 'b' } } }, signer)
      const store = new LevelStore({ location: join(dir, 'store') }, { decodeEvent })
      await store.open()
      await store.write([batch(1, [e], [], [['A', 1]], e.stamp)])
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

  it('compacts the event range once a quarter of the stored events were removed: the disk follows the live data', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-store-'))
    const sizeOf = async (): Promise<number> => {
      let total = 0
      for (const f of await readdir(join(dir, 'store'))) total += (await stat(join(dir, 'store', f))).size
      return total
    }
    try {
      const compacted: Array<{ removed: number, stored: number }> = []
      let store = new LevelStore({ location: join(dir, 'store'), sync: false }, { decodeEvent: decodeFake, compacted: c => { compacted.push(c) } })
      await store.open()
      const n = COMPACT_MIN_REMOVED * 3
      const events = Array.from({ length: n }, (_, i) => put('A', i + 1, BigInt(i + 1), `k${i}-${'x'.repeat(40 + (i % 97))}`))
      for (let i = 0; i < n; i += 1000) await store.write([batch(i, events.slice(i, i + 1000), [], [['A', i + 1000]], BigInt(i + 1000))])
      await store.close() // reopened: the events are in table files, as in a daemon that ran a while
      store = new LevelStore({ location: join(dir, 'store'), sync: false }, { decodeEvent: decodeFake, compacted: c => { compacted.push(c) } })
      await store.open()
      expect((await store.loadSnapshot()).events.length).toBe(n)
      const full = await sizeOf()
      // The core removes all but the last 1 000 (collected tombstones: each key goes with its event)…
      const gone = events.slice(0, n - 1000)
      // …below the threshold nothing happens…
      await store.write([removal(n + 1, gone.slice(0, COMPACT_MIN_REMOVED - 1))])
      await store.idle()
      expect(store.compactions).toBe(0)
      // …and past it (a quarter of those stored, at least COMPACT_MIN_REMOVED) the range is compacted.
      await store.write([removal(n + 2, gone.slice(COMPACT_MIN_REMOVED - 1))])
      await store.idle()
      expect(store.compactions).toBe(1)
      expect(compacted[0]).toMatchObject({ removed: n - 1000, stored: 1000 })
      expect(await sizeOf()).toBeLessThan(full / 10) // 2.2 MB → 78 KB here
      expect((await store.loadSnapshot()).events.length).toBe(1000)
      expect((await store.check()).ok).toBe(true)
      await store.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('says when a compaction fails, and tries again after the next removals', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-store-'))
    try {
      const failed: Array<{ removed: number, error: string }> = []
      const store = new LevelStore({ location: join(dir, 'store'), sync: false }, { decodeEvent: decodeFake, compactionFailed: f => { failed.push(f) } })
      await store.open()
      const n = COMPACT_MIN_REMOVED + 2
      const events = Array.from({ length: n }, (_, i) => put('A', i + 1, BigInt(i + 1), `k${i}`))
      await store.write([batch(1, events, [], [['A', n]], BigInt(n))])
      // The disk refuses the first compaction (a unit test of this module: LevelDB's call is stubbed once).
      const db = (store as unknown as { db: { compactRange: (a: string, b: string) => Promise<void> } }).db
      const real = db.compactRange.bind(db)
      db.compactRange = async () => { db.compactRange = real; throw new Error('No space left on device') }
      await store.write([removal(2, events.slice(0, COMPACT_MIN_REMOVED))])
      await store.idle()
      expect(store.compactions).toBe(0)
      expect(failed).toEqual([{ removed: COMPACT_MIN_REMOVED, error: 'No space left on device' }])
      // The removals stay counted: the next removal, however small, compacts.
      await store.write([removal(3, events.slice(COMPACT_MIN_REMOVED, COMPACT_MIN_REMOVED + 1))])
      await store.idle()
      expect(store.compactions).toBe(1)
      expect((await store.loadSnapshot()).events.length).toBe(1)
      await store.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
