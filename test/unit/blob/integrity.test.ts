// Blob integrity at rest (issue #17), in process: a stored copy read through verified-read.ts stops at
// the first chunk that does not match its manifest; BlobIntegrity removes a damaged copy, fetches it
// again, and keeps a repair that found no holder pending for the next scrub pass.
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { isDamaged } from '../../../daemon/blob/chunk-check.js'
import { BlobIntegrity } from '../../../daemon/blob/integrity.js'
import { encodeManifest, type Manifest } from '../../../daemon/blob/manifest.js'
import { BlobRef, hexOf } from '../../../daemon/blob/refs.js'
import { openVerified } from '../../../daemon/blob/verified-read.js'
import { Logger } from '../../../daemon/log.js'

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest())
const CHUNK = 4096

describe('openVerified', () => {
  let dir: string | undefined
  afterEach(async () => { if (dir !== undefined) await rm(dir, { recursive: true, force: true }) })

  async function stored (bytes: Buffer): Promise<{ path: string, digest: Uint8Array, manifest: Manifest }> {
    dir = await mkdtemp(join(tmpdir(), 'mycel-vr-'))
    const path = join(dir, 'blob')
    await writeFile(path, bytes)
    const chunks: Uint8Array[] = []
    for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(sha(bytes.subarray(i, i + CHUNK)))
    return { path, digest: sha(bytes), manifest: { v: 1, digest: sha(bytes), size: bytes.length, chunkSize: CHUNK, chunks } }
  }

  it('yields every chunk of an intact copy, and stops before a damaged one', async () => {
    const bytes = Buffer.alloc(3 * CHUNK + 10, 7)
    const { path, digest, manifest } = await stored(bytes)
    const components = { blobs: { pathOf: () => path, verify: async () => true }, manifests: { get: async () => encodeManifest(manifest) } }
    const read = async (): Promise<{ got: Buffer, err?: unknown }> => {
      const parts: Buffer[] = []
      try {
        for await (const c of (await openVerified(components, digest)).chunks) parts.push(Buffer.from(c))
        return { got: Buffer.concat(parts) }
      } catch (err) {
        return { got: Buffer.concat(parts), err }
      }
    }
    expect((await read()).got.equals(bytes)).toBe(true)
    const bad = Buffer.from(bytes)
    bad[2 * CHUNK + 1] ^= 1
    await writeFile(path, bad)
    const { got, err } = await read()
    expect(got.length).toBe(2 * CHUNK)
    expect(isDamaged(err)).toBe(true)
    expect((err as { details: { chunk: number } }).details.chunk).toBe(2)
  })
})

describe('BlobIntegrity', () => {
  const ref = (digest: Uint8Array): BlobRef => {
    const r = new BlobRef(hexOf(digest), 1)
    r.addKey('k')
    r.addAuthor('a')
    return r
  }

  it('removes a damaged copy once, fetches it again, and counts it repaired', async () => {
    const removed: string[] = []
    const fetched: string[] = []
    const digest = new Uint8Array(32).fill(1)
    const integrity = new BlobIntegrity({
      blobs: { remove: async d => { removed.push(Buffer.from(d).toString('hex')) } },
      refOf: () => ref(digest),
      fetch: async t => { fetched.push(Buffer.from(t.digest).toString('hex')) },
      log: Logger.silent()
    })
    integrity.report(digest, 3, 'served')
    integrity.report(digest, 4, 'api') // the same copy: counted once
    expect(integrity.describe(digest)).toMatch(/chunk 3 did not match/)
    await new Promise(resolve => setTimeout(resolve, 10))
    await integrity.settled()
    expect(removed.length).toBe(1)
    expect(fetched.length).toBe(1)
    expect(integrity.stats).toMatchObject({ found: 1, repaired: 1, pending: 0 })
    expect(integrity.describe(digest)).toBeUndefined()
  })

  it('keeps a repair that found no holder pending and tries it again; drops one no key references', async () => {
    let holders = false
    const a = new Uint8Array(32).fill(2)
    const b = new Uint8Array(32).fill(3)
    const integrity = new BlobIntegrity({
      blobs: { remove: async () => {} },
      refOf: hex => (hex === Buffer.from(a).toString('hex') ? ref(a) : undefined),
      fetch: async () => { if (!holders) throw new Error('no holder') },
      log: Logger.silent()
    })
    integrity.report(a, 0, 'scrub')
    integrity.report(b, 0, 'scrub')
    await new Promise(resolve => setTimeout(resolve, 10))
    await integrity.settled()
    expect(integrity.stats).toMatchObject({ found: 2, repaired: 0, repairFailures: 1, dropped: 1, pending: 1 })
    holders = true
    integrity.retryPending()
    await integrity.settled()
    expect(integrity.stats).toMatchObject({ repaired: 1, pending: 0 })
  })

  it('a repair retried before the damaged copy is removed waits for the removal (the scrub retries at the end of its pass)', async () => {
    const digest = new Uint8Array(32).fill(4)
    let present = true // the damaged file, until its removal completes
    let finishRemoval = (): void => {}
    const fetchedWhile: boolean[] = []
    const integrity = new BlobIntegrity({
      blobs: { remove: async () => { await new Promise<void>(resolve => { finishRemoval = resolve }); present = false } },
      refOf: () => ref(digest),
      // As ensureLocal: a copy still on disk counts as here.
      fetch: async () => { fetchedWhile.push(present) },
      log: Logger.silent()
    })
    integrity.report(digest, 2, 'scrub')
    integrity.retryPending() // the pass ends while the removal is still under way
    await new Promise(resolve => setTimeout(resolve, 10))
    expect(fetchedWhile).toEqual([]) // nothing fetched (or taken for repaired) yet
    expect(integrity.stats.repaired).toBe(0)
    finishRemoval()
    await new Promise(resolve => setTimeout(resolve, 10))
    await integrity.settled()
    expect(fetchedWhile).toEqual([false]) // fetched once, after the damaged copy was gone
    expect(integrity.stats).toMatchObject({ repaired: 1, pending: 0 })
  })
})
