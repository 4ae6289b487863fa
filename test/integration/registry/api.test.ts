// The registry over HTTP with plain fetch(): what skopeo does not exercise.
// A push split across sites (the headline), chunked and resumed uploads,
// cross-repository mounts, referrers, ranges, HEAD without fetching, and every
// kind of bad input answered with the spec's error and nothing stored.

import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Client } from './client.js'
import { ADMIN, blobOf, descriptor, Harness, makeImage, READER, sha256, WRITER, type Blob, type Image, type Site } from './harness.js'

describe('registry API', () => {
  let h: Harness
  let a: Site
  let client: Client
  beforeEach(async () => {
    h = await Harness.create()
    a = await h.site('a')
    client = new Client(a.url, WRITER)
  })
  afterEach(async () => { await h.close() })

  async function pushImage (c: Client, repo: string, tag: string, image: Image): Promise<void> {
    for (const b of [image.config, ...image.layers]) expect((await c.pushBlob(repo, b)).status).toBe(201)
    const res = await c.pushManifest(repo, tag, image.manifest)
    expect(res.status, await res.clone().text()).toBe(201)
  }

  it('answers /v2/ with the API version, and 401 with the Basic challenge without credentials', async () => {
    const ok = await client.req('GET', '/v2/')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('docker-distribution-api-version')).toBe('registry/2.0')
    const anon = await client.as(undefined).req('GET', '/v2/')
    expect(anon.status).toBe(401)
    expect(anon.headers.get('www-authenticate')).toBe('Basic realm="mycel"')
    expect(await client.errorCode(anon)).toBe('UNAUTHORIZED')
  })

  it('takes a manifest at site B whose layers were uploaded at site A, and the image then pulls at C', async () => {
    const b = await h.site('b')
    const c = await h.site('c')
    const image = makeImage('amd64', [100_000, 2_000])
    for (const blob of [image.config, ...image.layers]) expect((await client.pushBlob('split/app', blob)).status).toBe(201)
    // B holds none of the layers: it checks the federation's metadata, not its disk.
    for (const l of image.layers) expect(await b.backend.holds(l.digest)).toBe(false)
    const put = await new Client(b.url, WRITER).pushManifest('split/app', 'v1', image.manifest)
    expect(put.status, await put.clone().text()).toBe(201)
    expect(put.headers.get('docker-content-digest')).toBe(image.manifest.digest)
    expect(b.backend.fetched).toEqual([])

    const pull = new Client(c.url, READER)
    const m = await pull.req('GET', '/v2/split/app/manifests/v1', { headers: { accept: image.manifest.mediaType } })
    expect(m.status).toBe(200)
    expect(m.headers.get('content-type')).toBe(image.manifest.mediaType)
    expect(Buffer.from(await m.arrayBuffer())).toEqual(image.manifest.bytes)
    for (const l of image.layers) {
      const got = await pull.req('GET', `/v2/split/app/blobs/${l.digest}`)
      expect(got.status).toBe(200)
      expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(l.digest)
    }
  })

  it('answers HEAD from metadata without fetching, and serves byte ranges', async () => {
    const b = await h.site('b')
    const image = makeImage('amd64', [10_000])
    await pushImage(client, 'app', 'v1', image)
    const reader = new Client(b.url, READER)
    const head = await reader.req('HEAD', '/v2/app/manifests/v1')
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(image.manifest.size))
    expect(head.headers.get('docker-content-digest')).toBe(image.manifest.digest)
    const layer = image.layers[0]
    const blobHead = await reader.req('HEAD', `/v2/app/blobs/${layer.digest}`)
    expect(blobHead.status).toBe(200)
    expect(blobHead.headers.get('content-length')).toBe(String(layer.size))
    expect(b.backend.fetched).toEqual([])

    const part = await reader.req('GET', `/v2/app/blobs/${layer.digest}`, { headers: { range: 'bytes=100-199' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe(`bytes 100-199/${layer.size}`)
    expect(Buffer.from(await part.arrayBuffer())).toEqual(layer.bytes.subarray(100, 200))
    const suffix = await reader.req('GET', `/v2/app/blobs/${layer.digest}`, { headers: { range: 'bytes=-10' } })
    expect(Buffer.from(await suffix.arrayBuffer())).toEqual(layer.bytes.subarray(layer.size - 10))
    const beyond = await reader.req('GET', `/v2/app/blobs/${layer.digest}`, { headers: { range: `bytes=${layer.size + 5}-` } })
    expect(beyond.status).toBe(416)
  })

  it('takes a chunked upload, refuses an out-of-order chunk with 416, and resumes from the status', async () => {
    const bytes = randomBytes(300_000)
    const digest = sha256(bytes)
    const start = await client.req('POST', '/v2/chunks/blobs/uploads/', { headers: { 'content-length': '0' } })
    expect(start.status).toBe(202)
    expect(start.headers.get('range')).toBe('0-0')
    let location = start.headers.get('location') as string
    const p1 = await client.req('PATCH', location, { body: bytes.subarray(0, 100_000), headers: { 'content-range': '0-99999', 'content-type': 'application/octet-stream' } })
    expect(p1.status).toBe(202)
    expect(p1.headers.get('range')).toBe('0-99999')
    location = p1.headers.get('location') as string
    const skip = await client.req('PATCH', location, { body: bytes.subarray(150_000, 200_000), headers: { 'content-range': '150000-199999' } })
    expect(skip.status).toBe(416)
    expect(skip.headers.get('range')).toBe('0-99999')
    const status = await client.req('GET', location)
    expect(status.status).toBe(204)
    expect(status.headers.get('range')).toBe('0-99999')
    const p2 = await client.req('PATCH', location, { body: bytes.subarray(100_000, 200_000), headers: { 'content-range': '100000-199999' } })
    expect(p2.status).toBe(202)
    // The last chunk travels with the closing PUT.
    const done = await client.req('PUT', `${location}?digest=${digest}`, { body: bytes.subarray(200_000), headers: { 'content-range': '200000-299999' } })
    expect(done.status).toBe(201)
    expect(done.headers.get('location')).toBe(`/v2/chunks/blobs/${digest}`)
    const got = await client.req('GET', `/v2/chunks/blobs/${digest}`)
    expect(Buffer.from(await got.arrayBuffer())).toEqual(bytes)
    expect((await client.req('GET', location)).status).toBe(404)
  })

  it('takes a single-POST upload, and mounts a blob from another repository', async () => {
    const blob = blobOf(randomBytes(5000), 'application/octet-stream')
    const post = await client.req('POST', `/v2/one/blobs/uploads/?digest=${blob.digest}`, { body: blob.bytes })
    expect(post.status).toBe(201)
    const mount = await client.req('POST', `/v2/other/blobs/uploads/?mount=${blob.digest}&from=one`)
    expect(mount.status).toBe(201)
    expect(mount.headers.get('location')).toBe(`/v2/other/blobs/${blob.digest}`)
    expect((await client.req('HEAD', `/v2/other/blobs/${blob.digest}`)).status).toBe(200)
    // Unknown in the source: an ordinary session (202), the client uploads.
    const miss = await client.req('POST', `/v2/third/blobs/uploads/?mount=${sha256(Buffer.from('nope'))}&from=one`)
    expect(miss.status).toBe(202)
    expect(miss.headers.get('location')).toMatch(/^\/v2\/third\/blobs\/uploads\//)
  })

  it('lists referrers of a manifest, filters them by artifactType, and forgets a deleted one', async () => {
    const image = makeImage('amd64', [1000])
    await pushImage(client, 'app', 'v1', image)
    const empty = blobOf(Buffer.from('{}'), 'application/vnd.oci.empty.v1+json')
    expect((await client.pushBlob('app', empty)).status).toBe(201)
    const sbomLayer = blobOf(Buffer.from('{"sbom":true}'), 'application/spdx+json')
    expect((await client.pushBlob('app', sbomLayer)).status).toBe(201)
    const artifact = (artifactType: string, note: string): Blob => blobOf(Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType,
      config: descriptor(empty),
      layers: [descriptor(sbomLayer)],
      subject: descriptor(image.manifest),
      annotations: { note }
    })), 'application/vnd.oci.image.manifest.v1+json')
    const sbom = artifact('application/spdx+json', 'sbom')
    const sig = artifact('application/vnd.example.sig', 'signature')
    for (const m of [sbom, sig]) {
      const res = await client.pushManifest('app', m.digest, m)
      expect(res.status).toBe(201)
      expect(res.headers.get('oci-subject')).toBe(image.manifest.digest)
    }
    const all = await client.req('GET', `/v2/app/referrers/${image.manifest.digest}`)
    expect(all.status).toBe(200)
    expect(all.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json')
    const index = await all.json() as { manifests: Array<{ digest: string, artifactType: string, annotations: Record<string, string> }> }
    expect(index.manifests.map(m => m.digest).sort()).toEqual([sbom.digest, sig.digest].sort())
    expect(index.manifests.find(m => m.digest === sig.digest)?.annotations).toEqual({ note: 'signature' })
    const filtered = await client.req('GET', `/v2/app/referrers/${image.manifest.digest}?artifactType=application/spdx%2Bjson`)
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType')
    expect((await filtered.json() as { manifests: Array<{ digest: string }> }).manifests.map(m => m.digest)).toEqual([sbom.digest])
    expect((await client.as(ADMIN).req('DELETE', `/v2/app/manifests/${sig.digest}`)).status).toBe(202)
    const after = await (await client.req('GET', `/v2/app/referrers/${image.manifest.digest}`)).json() as { manifests: Array<{ digest: string }> }
    expect(after.manifests.map(m => m.digest)).toEqual([sbom.digest])
    // No referrers (or an unknown subject) is an empty index, never 404.
    const none = await client.req('GET', `/v2/app/referrers/${sha256(Buffer.from('x'))}`)
    expect(none.status).toBe(200)
    expect((await none.json() as { manifests: unknown[] }).manifests).toEqual([])
  })

  it('pages tags with n and last, and the catalog', async () => {
    const image = makeImage('amd64', [100])
    await pushImage(client, 'a/b', 'v3', image)
    for (const t of ['v1', 'v2', 'latest']) expect((await client.pushManifest('a/b', t, image.manifest)).status).toBe(201)
    await pushImage(client, 'a', 'x', image)
    await pushImage(client, 'a-c', 'x', image)
    const p1 = await client.req('GET', '/v2/a/b/tags/list?n=2')
    expect(await p1.json()).toEqual({ name: 'a/b', tags: ['latest', 'v1'] })
    expect(p1.headers.get('link')).toBe('</v2/a/b/tags/list?n=2&last=v1>; rel="next"')
    const p2 = await client.req('GET', '/v2/a/b/tags/list?n=2&last=v1')
    expect(await p2.json()).toEqual({ name: 'a/b', tags: ['v2', 'v3'] })
    expect(p2.headers.get('link')).toBeNull()
    const zero = await client.req('GET', '/v2/a/b/tags/list?n=0')
    expect(await zero.json()).toEqual({ name: 'a/b', tags: [] })
    expect(zero.headers.get('link')).toBeNull()
    expect((await client.req('GET', '/v2/nothing/tags/list')).status).toBe(404)
    const catalog = await (await client.req('GET', '/v2/_catalog')).json() as { repositories: string[] }
    expect(catalog.repositories.sort()).toEqual(['a', 'a-c', 'a/b'])
    const c1 = await client.req('GET', '/v2/_catalog?n=1')
    const first = (await c1.json() as { repositories: string[] }).repositories
    expect(first).toHaveLength(1)
    const rest = await (await client.req('GET', `/v2/_catalog?n=5&last=${first[0]}`)).json() as { repositories: string[] }
    expect([...first, ...rest.repositories].sort()).toEqual(['a', 'a-c', 'a/b'])
  })

  it('refuses a reader\'s push and a writer\'s delete with 403 DENIED', async () => {
    const image = makeImage('amd64', [100])
    await pushImage(client, 'app', 'v1', image)
    const reader = client.as(READER)
    const post = await reader.req('POST', '/v2/app/blobs/uploads/')
    expect(post.status).toBe(403)
    expect(await reader.errorCode(post)).toBe('DENIED')
    const del = await client.req('DELETE', '/v2/app/manifests/v1')
    expect(del.status).toBe(403)
    expect((await client.as(ADMIN).req('DELETE', '/v2/app/manifests/v1')).status).toBe(202)
    expect((await client.req('GET', '/v2/app/manifests/v1')).status).toBe(404)
  })

  describe('bad input: the spec\'s error, nothing stored', () => {
    async function expectError (res: Response, status: number, code: string): Promise<void> {
      expect(res.status).toBe(status)
      expect(await client.errorCode(res)).toBe(code)
    }

    it('path tricks in repository names are NAME_INVALID', async () => {
      for (const name of ['UPPER/app', 'a/../b', '../../etc', 'a%2fb', 'a%2e%2e/b', 'a//b', '-a', 'a_', '.hidden', 'a/./b', 'x'.repeat(256)]) {
        for (const [method, path] of [['POST', `/v2/${name}/blobs/uploads/`], ['GET', `/v2/${name}/manifests/latest`], ['PUT', `/v2/${name}/manifests/latest`], ['GET', `/v2/${name}/tags/list`]]) {
          const res = await client.raw(method, path, method === 'GET' ? undefined : Buffer.from('{}'))
          expect(res.status, `${method} ${path}`).toBe(400)
          expect(JSON.parse(res.body).errors[0].code).toBe('NAME_INVALID')
        }
      }
      expect(a.backend.listKeys('', { limit: 10 })).toEqual([])
      expect(a.server.uploads.size).toBe(0)
    })

    it('a digest that does not match the bytes is DIGEST_INVALID', async () => {
      const blob = blobOf(randomBytes(1000), 'application/octet-stream')
      await expectError(await client.pushBlob('app', { bytes: blob.bytes, digest: sha256(Buffer.from('other')) }), 400, 'DIGEST_INVALID')
      await expectError(await client.req('POST', '/v2/app/blobs/uploads/?digest=sha256:nothex', { body: blob.bytes }), 400, 'DIGEST_INVALID')
      await expectError(await client.req('POST', `/v2/app/blobs/uploads/?digest=sha512:${'a'.repeat(128)}`, { body: blob.bytes }), 400, 'DIGEST_INVALID')
      const image = makeImage('amd64', [100])
      await pushImage(client, 'app', 'v1', image)
      const keys = a.backend.listKeys('', { limit: 100 }).length
      await expectError(await client.req('PUT', `/v2/app/manifests/${sha256(Buffer.from('x'))}`, { body: image.manifest.bytes, headers: { 'content-type': image.manifest.mediaType } }), 400, 'DIGEST_INVALID')
      expect(a.backend.listKeys('', { limit: 100 })).toHaveLength(keys)
      expect(a.server.uploads.size).toBe(0)
    })

    it('an upload larger than declared is SIZE_INVALID, and nothing is stored', async () => {
      const bytes = randomBytes(2000)
      const start = await client.req('POST', '/v2/app/blobs/uploads/')
      const location = start.headers.get('location') as string
      // Content-Range says 1000 bytes, Content-Length 2000: refused before a byte is taken; the session stays as it was.
      await expectError(await client.req('PATCH', location, { body: bytes, headers: { 'content-range': '0-999' } }), 400, 'SIZE_INVALID')
      expect((await client.req('GET', location)).headers.get('range')).toBe('0-0')
      // Sent chunked (no Content-Length), 2000 bytes against a Content-Range of 1000: the upload is cancelled.
      const sent = await client.raw('PATCH', location, bytes, { 'content-range': '0-999' }, true)
      expect(sent.status).toBe(400)
      expect(JSON.parse(sent.body).errors[0].code).toBe('SIZE_INVALID')
      await expectError(await client.req('PUT', `${location}?digest=${sha256(bytes)}`), 404, 'BLOB_UPLOAD_UNKNOWN')
      // A single POST whose body is not what its digest says.
      const post = await client.raw('POST', `/v2/app/blobs/uploads/?digest=${sha256(bytes.subarray(0, 1000))}`, bytes, {}, true)
      expect(post.status).toBe(400)
      expect(JSON.parse(post.body).errors[0].code).toBe('DIGEST_INVALID')
      expect(a.server.uploads.size).toBe(0)
      await expectError(await client.req('GET', '/v2/app/blobs/uploads/not-a-session'), 404, 'BLOB_UPLOAD_UNKNOWN')
      expect(a.backend.listKeys('', { limit: 10 })).toEqual([])
    })

    it('a blob over the size limit is 413 and the session is dropped', async () => {
      const small = await h.site('small', { limits: { maxBlobBytes: 1000 } })
      const c = new Client(small.url, WRITER)
      const bytes = randomBytes(5000)
      await expectError(await c.pushBlob('app', { bytes, digest: sha256(bytes) }), 413, 'SIZE_INVALID')
      expect(small.server.uploads.size).toBe(0)
    })

    it('malformed manifests, unknown media types and missing blobs are refused', async () => {
      const image = makeImage('amd64', [100])
      for (const b of [image.config, ...image.layers]) await client.pushBlob('app', b)
      const keys = a.backend.listKeys('', { limit: 100 }).length
      const put = async (body: string, type = 'application/vnd.oci.image.manifest.v1+json'): Promise<Response> =>
        await client.req('PUT', '/v2/app/manifests/bad', { body, headers: { 'content-type': type } })
      await expectError(await put('{not json'), 400, 'MANIFEST_INVALID')
      await expectError(await put('[]'), 400, 'MANIFEST_INVALID')
      await expectError(await put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.example.unknown+json', config: descriptor(image.config), layers: [] }), 'application/vnd.example.unknown+json'), 400, 'MANIFEST_INVALID')
      await expectError(await put(JSON.stringify({ schemaVersion: 1, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(image.config), layers: [] })), 400, 'MANIFEST_INVALID')
      await expectError(await put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] })), 400, 'MANIFEST_INVALID')
      // The Content-Type disagrees with the body's mediaType.
      await expectError(await put(image.manifest.bytes.toString(), 'application/vnd.docker.distribution.manifest.v2+json'), 400, 'MANIFEST_INVALID')
      const missing = blobOf(randomBytes(10), 'application/vnd.oci.image.layer.v1.tar')
      await expectError(await put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(image.config), layers: [descriptor(missing)] })), 400, 'MANIFEST_BLOB_UNKNOWN')
      const wrongSize = { ...descriptor(image.layers[0]), size: image.layers[0].size + 1 }
      await expectError(await put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: descriptor(image.config), layers: [wrongSize] })), 400, 'MANIFEST_INVALID')
      const huge = await client.req('PUT', '/v2/app/manifests/huge', { body: 'x'.repeat(4 * 1024 * 1024 + 1), headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })
      expect(huge.status).toBe(413)
      await expectError(await client.req('PUT', `/v2/app/manifests/${'t'.repeat(129)}`, { body: image.manifest.bytes, headers: { 'content-type': image.manifest.mediaType } }), 400, 'MANIFEST_INVALID')
      expect(a.backend.listKeys('', { limit: 100 })).toHaveLength(keys)
    })

    it('too many upload sessions is 429 TOOMANYREQUESTS with Retry-After', async () => {
      const few = await h.site('few', { limits: { maxUploadSessions: 2 } })
      const c = new Client(few.url, WRITER)
      expect((await c.req('POST', '/v2/app/blobs/uploads/')).status).toBe(202)
      expect((await c.req('POST', '/v2/app/blobs/uploads/')).status).toBe(202)
      const third = await c.req('POST', '/v2/app/blobs/uploads/')
      expect(third.status).toBe(429)
      expect(third.headers.get('retry-after')).not.toBeNull()
      expect(await c.errorCode(third)).toBe('TOOMANYREQUESTS')
    })

    it('unknown blobs, manifests and methods', async () => {
      const d = sha256(Buffer.from('absent'))
      await expectError(await client.req('GET', `/v2/app/blobs/${d}`), 404, 'BLOB_UNKNOWN')
      await expectError(await client.req('GET', `/v2/app/manifests/${d}`), 404, 'MANIFEST_UNKNOWN')
      await expectError(await client.req('GET', '/v2/app/manifests/latest'), 404, 'MANIFEST_UNKNOWN')
      await expectError(await client.as(ADMIN).req('DELETE', `/v2/app/blobs/${d}`), 404, 'BLOB_UNKNOWN')
      const post = await client.req('POST', '/v2/app/manifests/latest')
      expect(post.status).toBe(405)
      expect(await client.errorCode(post)).toBe('UNSUPPORTED')
    })
  })
})
