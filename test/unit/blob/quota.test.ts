// The disk quota on a real blob store in a temp dir (quota.ts): it counts what the store takes in and
// gives up, evicts by deleting files, keeps the LRU order across a restart (the last-used journal, not
// the files' mtimes), and counts a download left part-way. Time is a variable the test sets.
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Logger } from '../../../daemon/log.js'
import { BlobQuota } from '../../../daemon/blob/quota.js'
import type { Evictable } from '../../../daemon/blob/quota-ledger.js'
import { BlobStore } from '../../../daemon/blob/store.js'

async function * once (bytes: Uint8Array): AsyncIterable<Uint8Array> { yield bytes }

const KiB = 1024

describe('BlobQuota', () => {
  let dir: string
  let now: number
  let store: BlobStore
  const kinds = new Map<string, Evictable>()
  const quotas: BlobQuota[] = []
  const log = new Logger({ level: 'error' })

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-quota-'))
    now = 1_000_000
    store = new BlobStore({ dir, maxBlobBytes: 1 << 30 })
    await store.start()
    kinds.clear()
  })
  afterEach(async () => {
    for (const q of quotas.splice(0)) await q.stop()
    await rm(dir, { recursive: true, force: true })
  })

  async function quota (quotaBytes: number): Promise<BlobQuota> {
    const q = new BlobQuota({ quotaBytes }, { blobs: store, evictable: hex => kinds.get(hex) ?? 'cache', clock: { nowMs: () => now }, log })
    quotas.push(q)
    await q.start()
    return q
  }

  /** A blob of `size` bytes filled with `fill`, stored at time `at`. */
  async function put (fill: number, size: number, at: number): Promise<Uint8Array> {
    now = at
    return (await store.put(once(new Uint8Array(size).fill(fill)))).digest
  }

  it('counts what the store takes in, evicts the least recently used by deleting it, and stops counting what is removed', async () => {
    const q = await quota(30 * KiB)
    const a = await put(1, 10 * KiB, 1_000)
    const b = await put(2, 10 * KiB, 2_000)
    const c = await put(3, 10 * KiB, 3_000)
    expect(q.view()).toMatchObject({ usedBytes: 30 * KiB, blobs: 3 })
    now = 4_000
    q.touch(a) // read: b is now the least recently used
    const wanted = createHash('sha256').update('not here yet').digest()
    const download = async (): Promise<void> => {
      expect(await store.has(b)).toBe(false) // deleted before the download may start
      expect(await store.has(a)).toBe(true)
      expect(q.view()).toMatchObject({ usedBytes: 30 * KiB, downloadingBytes: 10 * KiB, evictions: 1, evictedBytes: 10 * KiB })
      throw new Error('no holder answered')
    }
    await expect(q.during({ digest: wanted, size: 10 * KiB }, 'fetch', download)).rejects.toThrow(/no holder answered/)
    expect(q.view()).toMatchObject({ usedBytes: 20 * KiB, downloadingBytes: 0 }) // it left no partial file: no longer counted
    await store.remove(c)
    expect(q.view()).toMatchObject({ usedBytes: 10 * KiB, downloadingBytes: 0, blobs: 1 })
  })

  it('keeps the LRU order across a restart from its journal, whatever the files\' mtimes say', async () => {
    const first = await quota(30 * KiB)
    const a = await put(1, 10 * KiB, 1_000)
    const b = await put(2, 10 * KiB, 2_000)
    const c = await put(3, 10 * KiB, 3_000)
    now = 4_000
    first.touch(a) // order: b, c, a
    await first.stop()
    // The files' mtimes say the opposite (a copied-in data dir, a clock that jumped): the journal wins over them.
    for (const [digest, sec] of [[a, 30], [b, 90], [c, 60]] as const) await utimes(store.pathOf(digest), sec, sec)
    expect((await readFile(join(dir, 'blobs', 'last-used'), 'utf8')).trim().split('\n')).toHaveLength(4)

    const again = await quota(30 * KiB)
    expect(again.view()).toMatchObject({ usedBytes: 30 * KiB, blobs: 3 })
    now = 5_000
    await again.admit({ digest: createHash('sha256').update('x').digest(), size: 15 * KiB }, 'fetch')
    expect([await store.has(a), await store.has(b), await store.has(c)]).toEqual([true, false, false])
  })

  it('falls back to the files\' mtimes for blobs the journal does not name', async () => {
    const a = await put(1, 10 * KiB, 1_000)
    const b = await put(2, 10 * KiB, 2_000)
    await utimes(store.pathOf(a), 200, 200) // stored later than b, by its mtime
    await utimes(store.pathOf(b), 100, 100)
    const q = await quota(20 * KiB)
    await q.admit({ digest: createHash('sha256').update('x').digest(), size: 10 * KiB }, 'fetch')
    expect([await store.has(a), await store.has(b)]).toEqual([true, false])
  })

  it('counts a download left part-way, and evicts it (its partial file and bitmap) like a blob', async () => {
    const partialDir = join(dir, 'blobs', 'partial')
    await mkdir(partialDir, { recursive: true })
    const left = createHash('sha256').update('left').digest('hex')
    await writeFile(join(partialDir, left), new Uint8Array(8 * KiB))
    await writeFile(join(partialDir, `${left}.bitmap`), new Uint8Array([1]))
    await utimes(join(partialDir, left), 1, 1)
    const q = await quota(20 * KiB)
    expect(q.view()).toMatchObject({ usedBytes: 8 * KiB, downloadingBytes: 8 * KiB, blobs: 0 })
    await put(1, 10 * KiB, 2_000)
    await q.admit({ digest: createHash('sha256').update('y').digest(), size: 10 * KiB }, 'fetch')
    expect(await readFile(join(partialDir, left)).catch(() => undefined)).toBeUndefined()
    expect(await readFile(join(partialDir, `${left}.bitmap`)).catch(() => undefined)).toBeUndefined()
    expect(q.view()).toMatchObject({ usedBytes: 20 * KiB, evictions: 1 })
  })

  it('after a publish over the quota, evicts others\' bytes until under it; a refusal names the quota', async () => {
    const q = await quota(20 * KiB)
    const other = await put(1, 10 * KiB, 1_000)
    // A publish: counted when it lands (never refused), and the blob layer says it is not evictable.
    kinds.set(createHash('sha256').update(new Uint8Array(15 * KiB).fill(2)).digest('hex'), 'no')
    await put(2, 15 * KiB, 2_000)
    await q.trim() // the one the store's report started, and this one after it
    expect(await store.has(other)).toBe(false)
    expect(q.view()).toMatchObject({ usedBytes: 15 * KiB, blobs: 1 })
    await expect(q.admit({ digest: createHash('sha256').update('z').digest(), size: 10 * KiB }, 'mirror'))
      .rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/disk quota is full: 15360 of 20480 bytes held/) })
    expect(q.view()).toMatchObject({ refusedMirrors: 1, lastRefusal: { by: 'mirror', bytes: 10 * KiB } })
  })
})
