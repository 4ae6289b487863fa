// Blob content over the local API as an HTTP cache expects it (daemon/api/blob-routes.ts): HEAD, one
// Range (206, 416), ETag = the digest with If-None-Match → 304, and a digest-addressed URL cacheable
// for good while a key's URL is revalidated. A real daemon, a real blob.
import { createHash, randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Node } from '../../helpers/daemons.js'

describe('blob content: HEAD, Range, ETag, caching', () => {
  let a: Node
  let auth: Record<string, string>
  const bytes = randomBytes(300_000)
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  let byKey: string
  let byDigest: string

  beforeAll(async () => {
    a = await Node.create()
    await a.start()
    auth = { authorization: `Bearer ${(await readFile(join(a.dir, 'api.token'), 'utf8')).trim()}` }
    const put = await fetch(`${a.ready?.api as string}/v1/keys/${encodeURIComponent('http/blob.bin')}`, { method: 'PUT', headers: auth, body: bytes })
    expect(put.status).toBe(201)
    byKey = `${a.ready?.api as string}/v1/blobs/${encodeURIComponent('http/blob.bin')}/content`
    byDigest = `${a.ready?.api as string}/v1/blobs/${encodeURIComponent(digest)}/content`
  })
  afterAll(async () => { await a?.destroy() })

  it('GET: the bytes with ETag = the digest; immutable by digest, revalidated by key', async () => {
    const res = await fetch(byDigest, { headers: auth })
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe(`"${digest}"`)
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true)
    const keyed = await fetch(byKey, { headers: auth })
    expect(keyed.headers.get('cache-control')).toBe('no-cache')
    expect(keyed.headers.get('etag')).toBe(`"${digest}"`)
    await keyed.arrayBuffer()
  })

  it('HEAD: the same headers, no body', async () => {
    const res = await fetch(byKey, { method: 'HEAD', headers: auth })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(bytes.length))
    expect(res.headers.get('x-mycel-digest')).toBe(digest)
    expect(await res.text()).toBe('')
  })

  it('Range: 206 with the slice and Content-Range; a suffix; 416 beyond the end; If-Range with another tag sends all', async () => {
    const mid = await fetch(byDigest, { headers: { ...auth, range: 'bytes=1000-1999' } })
    expect(mid.status).toBe(206)
    expect(mid.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`)
    expect(mid.headers.get('content-length')).toBe('1000')
    expect(Buffer.from(await mid.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true)
    const tail = await fetch(byDigest, { headers: { ...auth, range: 'bytes=-10' } })
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(bytes.length - 10))).toBe(true)
    const beyond = await fetch(byDigest, { headers: { ...auth, range: `bytes=${bytes.length}-` } })
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${bytes.length}`)
    expect(await beyond.json()).toMatchObject({ error: { code: 'USAGE' } })
    const stale = await fetch(byDigest, { headers: { ...auth, range: 'bytes=0-9', 'if-range': '"sha256:other"' } })
    expect(stale.status).toBe(200)
    expect((await stale.arrayBuffer()).byteLength).toBe(bytes.length)
  })

  it('If-None-Match with the digest: 304, no body', async () => {
    const res = await fetch(byKey, { headers: { ...auth, 'if-none-match': `"${digest}"` } })
    expect(res.status).toBe(304)
    expect(res.headers.get('etag')).toBe(`"${digest}"`)
    const other = await fetch(byKey, { headers: { ...auth, 'if-none-match': '"sha256:other"' } })
    expect(other.status).toBe(200)
    await other.arrayBuffer()
  })

  it('wrong methods on content are 405; errors stay JSON', async () => {
    const res = await fetch(byKey, { method: 'DELETE', headers: auth })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET, HEAD')
    expect(await res.json()).toMatchObject({ error: { code: 'USAGE' } })
    const missing = await fetch(`${a.ready?.api as string}/v1/blobs/nope/content`, { headers: auth })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
  })
})
