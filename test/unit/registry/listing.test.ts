import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryBackend, type MemoryBackend } from '../../../daemon/registry/memory-backend.js'
import { blobKey, manifestKey, referrerKey, tagKey } from '../../../daemon/registry/keys.js'
import { listRepositories, listTags, nextLink, parsePage } from '../../../daemon/registry/listing.js'
import { listReferrers } from '../../../daemon/registry/referrers.js'
import { MAX_PAGE_SIZE } from '../../../daemon/registry/constants.js'

const D = (c: string): string => 'sha256:' + c.repeat(64)

describe('listing', () => {
  let dir: string
  let b: MemoryBackend
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-listing-'))
    b = await createMemoryBackend({ dir })
    // Keys may only name known bytes: a blob key names each digest once first.
    for (const c of ['1', '2', '3', '4']) b.federation.keys.put(`seed/${c}`, { digest: D(c), size: 1, props: {} })
  })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('pages tags in ASCII order with n and last', async () => {
    for (const t of ['b', 'A', 'a', '_', '1']) await b.putKey(tagKey('r', t), { digest: D('1'), size: 1, props: {} })
    // A nested repository's tags are not the parent's.
    await b.putKey(tagKey('r/tags', 'zz'), { digest: D('1'), size: 1, props: {} })
    expect(listTags(b, 'r', { n: 100 }).items).toEqual(['1', 'A', '_', 'a', 'b'])
    const p1 = listTags(b, 'r', { n: 2 })
    expect(p1).toEqual({ items: ['1', 'A'], next: 'A' })
    expect(listTags(b, 'r', { n: 2, last: 'A' })).toEqual({ items: ['_', 'a'], next: 'a' })
    expect(listTags(b, 'r', { n: 2, last: 'a' })).toEqual({ items: ['b'] })
    expect(listTags(b, 'r', { n: 0 })).toEqual({ items: [] })
    expect(nextLink('/v2/r/tags/list', { n: 2 }, p1)).toEqual({ link: '</v2/r/tags/list?n=2&last=A>; rel="next"' })
  })

  it('parses n and last; n is clamped, not refused', () => {
    expect(parsePage(new URL('http://x/?n=5&last=v1'))).toEqual({ n: 5, last: 'v1' })
    expect(parsePage(new URL('http://x/'), 7)).toEqual({ n: 7 })
    expect(parsePage(new URL('http://x/?n=99999999')).n).toBe(MAX_PAGE_SIZE)
    expect(() => parsePage(new URL('http://x/?n=-1'))).toThrow(/non-negative/)
    expect(() => parsePage(new URL('http://x/?n=1&n=2'))).toThrow(/2 times/)
  })

  it('lists each repository once, nested ones too, skipping keys outside the layout', async () => {
    for (const repo of ['a', 'a/b', 'a-c', 'z', 'a/b/c']) {
      await b.putKey(tagKey(repo, 'v1'), { digest: D('1'), size: 1, props: {} })
      await b.putKey(blobKey(repo, D('2')), { digest: D('2'), size: 1, props: {} })
      await b.putKey(manifestKey(repo, D('1')), { digest: D('1'), size: 1, props: {} })
    }
    await b.putKey('oci/stray-file', { digest: D('3'), size: 1, props: {} })
    const all = listRepositories(b, { n: 100 })
    expect([...all.items].sort()).toEqual(['a', 'a-c', 'a/b', 'a/b/c', 'z'])
    expect(all.next).toBeUndefined()
    const seen: string[] = []
    let last: string | undefined
    for (;;) {
      const page = listRepositories(b, { n: 2, ...(last === undefined ? {} : { last }) })
      seen.push(...page.items)
      if (page.next === undefined) break
      last = page.next
    }
    expect(seen).toEqual(all.items)
  })

  it('lists referrers from the index keys, filtered, skipping ones whose manifest is gone', async () => {
    const subject = D('1')
    for (const [c, type] of [['2', 'application/x.sbom'], ['3', 'application/x.sig'], ['4', 'application/x.sig']] as const) {
      await b.putKey(referrerKey('r', subject, D(c)), { digest: D(c), size: 10, props: { mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: type, annotations: JSON.stringify({ n: c }) } })
      if (c !== '4') await b.putKey(manifestKey('r', D(c)), { digest: D(c), size: 10, props: {} })
    }
    const all = await listReferrers(b, { name: 'r', subject })
    expect(all.index.manifests.map(m => m.digest)).toEqual([D('2'), D('3')])
    expect(all.index.manifests[1]).toEqual({ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 10, digest: D('3'), artifactType: 'application/x.sig', annotations: { n: '3' } })
    expect((await listReferrers(b, { name: 'r', subject, artifactType: 'application/x.sbom' })).index.manifests.map(m => m.digest)).toEqual([D('2')])
    expect((await listReferrers(b, { name: 'r', subject: D('9') })).index.manifests).toEqual([])
  })
})
