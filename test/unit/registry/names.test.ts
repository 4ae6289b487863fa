import { describe, expect, it } from 'vitest'
import { checkDigest, checkRepoName, isRepoName, isTag, parseReference } from '../../../daemon/registry/names.js'
import { parsePath } from '../../../daemon/registry/paths.js'
import { isRegistryError } from '../../../daemon/registry/errors.js'
import { repoOfKey, tagKey, manifestKey, afterRepo, repoPrefix } from '../../../daemon/registry/keys.js'

const D = 'sha256:' + 'a'.repeat(64)

function code (fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    return isRegistryError(err) ? err.code : 'THREW'
  }
}

describe('repository names', () => {
  it('take the spec grammar', () => {
    for (const ok of ['a', 'library/ubuntu', 'a.b/c_d/e__f/g--h', 'x0/1', 'a-b', 'a.b']) expect(isRepoName(ok), ok).toBe(true)
    for (const bad of ['', 'A', 'a/', '/a', 'a//b', 'a/../b', '..', 'a/.', '_a', 'a_', 'a___b', 'a..b', 'a%2fb', 'a b', 'x'.repeat(256)]) expect(isRepoName(bad), bad).toBe(false)
  })

  it('refuse path tricks with a message saying which', () => {
    expect(() => checkRepoName('a%2fb')).toThrow(/percent-encoded/)
    expect(() => checkRepoName('a/../b')).toThrow(/\.\./)
    expect(() => checkRepoName('Library/x')).toThrow(/uppercase/)
    expect(code(() => checkRepoName('a//b'))).toBe('NAME_INVALID')
  })
})

describe('tags and digests', () => {
  it('tags: 1 to 128 characters of the grammar', () => {
    expect(isTag('latest')).toBe(true)
    expect(isTag('_x.Y-1')).toBe(true)
    expect(isTag('t'.repeat(128))).toBe(true)
    expect(isTag('t'.repeat(129))).toBe(false)
    expect(isTag('.x')).toBe(false)
    expect(isTag('-x')).toBe(false)
    expect(isTag('a/b')).toBe(false)
  })

  it('digests: sha256 only; another algorithm is refused as such', () => {
    expect(checkDigest(D)).toBe(D)
    expect(() => checkDigest('sha512:' + 'a'.repeat(128))).toThrow(/unsupported digest algorithm sha512/)
    expect(() => checkDigest('sha256:' + 'A'.repeat(64))).toThrow(/malformed/)
    expect(code(() => checkDigest('sha256:abc'))).toBe('DIGEST_INVALID')
  })

  it('references are a digest if they have a colon, else a tag', () => {
    expect(parseReference('v1')).toEqual({ kind: 'tag', tag: 'v1' })
    expect(parseReference(D)).toEqual({ kind: 'digest', digest: D })
    expect(code(() => parseReference('sha256:zz'))).toBe('DIGEST_INVALID')
    expect(code(() => parseReference('bad tag'))).toBe('MANIFEST_INVALID')
  })
})

describe('paths', () => {
  it('are matched from the right, so names may hold the words of the API', () => {
    expect(parsePath('/v2/')).toEqual({ kind: 'base' })
    expect(parsePath('/v2/_catalog')).toEqual({ kind: 'catalog' })
    expect(parsePath('/v2/a/b/manifests/latest')).toEqual({ kind: 'manifest', name: 'a/b', reference: 'latest' })
    expect(parsePath('/v2/a/manifests/b/manifests/x')).toEqual({ kind: 'manifest', name: 'a/manifests/b', reference: 'x' })
    expect(parsePath('/v2/a/blobs/uploads/')).toEqual({ kind: 'uploads', name: 'a' })
    expect(parsePath('/v2/a/blobs/uploads/abc-1')).toEqual({ kind: 'upload', name: 'a', id: 'abc-1' })
    expect(parsePath(`/v2/a/blobs/uploads/blobs/${D}`)).toEqual({ kind: 'blob', name: 'a/blobs/uploads', digest: D })
    expect(parsePath('/v2/tags/tags/list')).toEqual({ kind: 'tags', name: 'tags' })
    expect(parsePath(`/v2/a/referrers/${D}`)).toEqual({ kind: 'referrers', name: 'a', digest: D })
    expect(parsePath(`/v2/a/blobs/${encodeURIComponent(D)}`)).toEqual({ kind: 'blob', name: 'a', digest: D })
    expect(parsePath('/v1/a')).toBeUndefined()
    expect(parsePath('/v2/a')).toBeUndefined()
  })

  it('check the name on the raw path: nothing is decoded before it', () => {
    expect(code(() => parsePath('/v2/a%2f..%2fb/manifests/x'))).toBe('NAME_INVALID')
    expect(code(() => parsePath('/v2/../x/manifests/x'))).toBe('NAME_INVALID')
    expect(code(() => parsePath('/v2/A/tags/list'))).toBe('NAME_INVALID')
  })
})

describe('keys', () => {
  it('end the repository at /_, which no name component can start', () => {
    expect(repoOfKey(tagKey('a/tags/b', 'v1'))).toBe('a/tags/b')
    expect(repoOfKey(manifestKey('x', D))).toBe('x')
    expect(repoOfKey('oci/loose-file')).toBeUndefined()
    expect(repoOfKey('other/a/_tags/x')).toBeUndefined()
    // Every key of a repository sorts before afterRepo(repo); its nested repositories after.
    expect(tagKey('a', 'zzz') < afterRepo('a')).toBe(true)
    expect(repoPrefix('a/b') > afterRepo('a')).toBe(true)
  })
})
