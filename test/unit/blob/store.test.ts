// BlobStore: content-addressed files, streamed in through sha-256, and failed uploads cleaned up.
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { BlobStore } from '../../../daemon/blob/store.js'

async function * chunks (parts: Uint8Array[]): AsyncIterable<Uint8Array> { for (const p of parts) yield p }

describe('BlobStore', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mycel-blobs-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('stores bytes under their sha-256, with a CIDv1 raw id, and verifies them', async () => {
    const store = new BlobStore({ dir, maxBlobBytes: 1 << 20 })
    await store.start()
    const parts = [Buffer.from('hello '), Buffer.from('world')]
    const info = await store.put(chunks(parts))
    const hex = createHash('sha256').update('hello world').digest('hex')
    expect(info.digestText).toBe(`sha256:${hex}`)
    expect(info.size).toBe(11)
    const cid = CID.parse(info.cid)
    expect(cid.version).toBe(1)
    expect(cid.code).toBe(0x55)
    expect(Buffer.from(cid.multihash.digest).toString('hex')).toBe(hex)
    expect(await readFile(join(dir, 'blobs', 'sha256', hex), 'utf8')).toBe('hello world')
    expect(await store.has(info.digest)).toBe(true)
    expect(await store.verify(info.digest)).toBe(true)
    await writeFile(store.pathOf(info.digest), 'tampered')
    expect(await store.verify(info.digest)).toBe(false)
    expect(await readdir(join(dir, 'blobs', 'tmp'))).toEqual([])
  })

  it('refuses a blob over the limit and keeps nothing', async () => {
    const store = new BlobStore({ dir, maxBlobBytes: 10 })
    await store.start()
    await expect(store.put(chunks([Buffer.alloc(6), Buffer.alloc(6)]))).rejects.toMatchObject({ code: 'TOO_LARGE' })
    expect(await readdir(join(dir, 'blobs', 'tmp'))).toEqual([])
    expect(await store.list()).toEqual([])
  })

  it('removes half-written uploads left by a crash on start', async () => {
    await mkdir(join(dir, 'blobs', 'tmp'), { recursive: true })
    await writeFile(join(dir, 'blobs', 'tmp', 'leftover'), 'partial')
    const store = new BlobStore({ dir, maxBlobBytes: 10 })
    await store.start()
    expect(await readdir(join(dir, 'blobs', 'tmp'))).toEqual([])
  })

  it('stores the empty blob', async () => {
    const store = new BlobStore({ dir, maxBlobBytes: 10 })
    await store.start()
    const info = await store.put(chunks([]))
    expect(info.digestText).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })
})

describe('BlobStore upload failures', () => {
  it('an upload that fails midway leaves no temp file and no blob', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-blobs-'))
    try {
      const store = new BlobStore({ dir, maxBlobBytes: 1 << 20 })
      await store.start()
      async function * broken (): AsyncIterable<Uint8Array> {
        yield Buffer.from('first part')
        throw new Error('client went away')
      }
      await expect(store.put(broken())).rejects.toThrow('client went away')
      expect(await readdir(join(dir, 'blobs', 'tmp'))).toEqual([])
      expect(await store.list()).toEqual([])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
