import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RegistryGc } from '../../../daemon/registry/gc.js'
import { blobKey, manifestKey, referrerKey } from '../../../daemon/registry/keys.js'
import { recordToProps } from '../../../daemon/registry/manifest-record.js'
import { createMemoryBackend, type MemoryBackend } from '../../../daemon/registry/memory-backend.js'

const D = (c: string): string => 'sha256:' + c.repeat(64)
const HOUR = 3_600_000

describe('registry garbage collection', () => {
  let dir: string
  let b: MemoryBackend
  let now: number
  let gc: RegistryGc
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-gc-'))
    b = await createMemoryBackend({ dir })
    for (const c of ['1', '2', '3', '4', '5', 'a', 'b']) b.federation.keys.put(`seed/${c}`, { digest: D(c), size: 1, props: {} })
    now = 0
    gc = new RegistryGc({ graceMs: HOUR, intervalMs: 60_000 }, { backend: b, now: () => now, log: () => {} })
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  async function blob (repo: string, c: string, at = 0): Promise<void> {
    await b.putKey(blobKey(repo, D(c)), { digest: D(c), size: 1, props: { at: String(at) } })
  }

  async function manifest (repo: string, digest: string, blobs: string[], subject?: string): Promise<void> {
    const props = recordToProps({ mediaType: 'application/vnd.oci.image.manifest.v1+json', annotationsInBody: false, blobs, manifests: [], ...(subject === undefined ? {} : { subject }) })
    await b.putKey(manifestKey(repo, digest), { digest, size: 1, props })
  }

  it('deletes blob keys no live manifest references once they stayed so for the grace', async () => {
    await blob('app', '1')
    await blob('app', '2')
    await blob('app', '3')
    await manifest('app', D('a'), [D('1'), D('2')])
    expect((await gc.collect()).deleted).toEqual([]) // first sight starts the grace
    now += HOUR - 1
    expect((await gc.collect()).deleted).toEqual([])
    now += 1
    expect((await gc.collect()).deleted).toEqual([blobKey('app', D('3'))])
    expect(b.getKey(blobKey('app', D('1')))).toBeDefined()
    // The manifest goes: its blobs follow after a grace of their own.
    await b.deleteKey(manifestKey('app', D('a')))
    await gc.collect()
    now += HOUR
    expect((await gc.collect()).deleted.sort()).toEqual([blobKey('app', D('1')), blobKey('app', D('2'))])
    // Nothing of the repository is left.
    expect(b.listKeys('oci/', { limit: 10 })).toEqual([])
  })

  it('a blob referenced only in another repository is still garbage in its own', async () => {
    await blob('one', '1')
    await manifest('two', D('a'), [D('1')])
    await blob('two', '1')
    await gc.collect()
    now += HOUR
    expect((await gc.collect()).deleted).toEqual([blobKey('one', D('1'))])
  })

  it('a re-upload (a new `at`) starts the grace again', async () => {
    await blob('app', '4', 0)
    await gc.collect()
    now += HOUR / 2
    await blob('app', '4', now)
    await gc.collect()
    now += HOUR / 2
    expect((await gc.collect()).deleted).toEqual([])
    now += HOUR / 2
    expect((await gc.collect()).deleted).toEqual([blobKey('app', D('4'))])
  })

  it('puts back a blob key it deleted when a manifest pushed meanwhile references it', async () => {
    await blob('app', '5')
    await gc.collect()
    now += HOUR
    expect((await gc.collect()).deleted).toEqual([blobKey('app', D('5'))])
    // A push elsewhere crossed the delete: its manifest names the blob.
    await manifest('app', D('a'), [D('5')])
    expect((await gc.collect()).repaired).toEqual([blobKey('app', D('5'))])
    expect(b.getKey(blobKey('app', D('5')))).toBeDefined()
  })

  it('drops referrers index keys whose manifest is gone, after the grace', async () => {
    await b.putKey(referrerKey('app', D('1'), D('b')), { digest: D('b'), size: 1, props: { mediaType: 'x/y' } })
    await gc.collect()
    now += HOUR
    expect((await gc.collect()).deleted).toEqual([referrerKey('app', D('1'), D('b'))])
  })
})
