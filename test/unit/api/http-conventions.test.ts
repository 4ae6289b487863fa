// HTTP conventions of the local API, for every route at once (router.ts, server.ts): a wrong method is
// 405 with Allow, HEAD is served by GET routes, a 401 carries WWW-Authenticate, and every error — a
// malformed request included — is JSON. The blob content's ETag, Range and caching are
// test/integration/blob/http-content.test.ts; the range arithmetic is below.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { etagOf, noneMatch, parseRange, rangeStillValid } from '../../../daemon/api/byte-range.js'
import { sendJson } from '../../../daemon/api/errors.js'
import type { Route } from '../../../daemon/api/router.js'
import { ApiServer, type ApiFile } from '../../../daemon/api/server.js'
import { Logger } from '../../../daemon/log.js'

const routes: Route[] = [
  { method: 'GET', path: '/v1/status', auth: 'token', handle: (_req, res) => { sendJson(res, 200, { ok: true }) } },
  { method: 'GET', path: /^\/v1\/keys\/(.+)$/, auth: 'token', handle: (_req, res) => { sendJson(res, 200, {}) } },
  { method: 'PUT', path: /^\/v1\/keys\/(.+)$/, auth: 'token', handle: (req, res) => { req.resume(); sendJson(res, 201, {}) } },
  { method: 'DELETE', path: /^\/v1\/keys\/(.+)$/, auth: 'token', handle: (_req, res) => { sendJson(res, 200, {}) } },
  { method: 'POST', path: '/v1/invite', auth: 'token', handle: (_req, res) => { sendJson(res, 200, {}) } }
]

describe('local API: methods, auth and errors', () => {
  let dir: string
  let server: ApiServer
  let url: string
  let auth: Record<string, string>

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-http-'))
    server = new ApiServer({ dir, port: 0 }, { routes, log: new Logger({ write: () => {} }) })
    await server.start()
    url = (JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as ApiFile).url
    auth = { authorization: `Bearer ${(await readFile(join(dir, 'api.token'), 'utf8')).trim()}` }
  })
  afterAll(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('a wrong method on a path that exists is 405 with Allow, a JSON error; an unknown path stays 404', async () => {
    const post = await fetch(`${url}/v1/status`, { method: 'POST', headers: auth })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    expect(await post.json()).toEqual({ error: { code: 'USAGE', message: 'method POST is not allowed on /v1/status; allowed: GET, HEAD' } })
    const patch = await fetch(`${url}/v1/keys/a%2Fb`, { method: 'PATCH', headers: auth, body: 'x' })
    expect(patch.status).toBe(405)
    expect(patch.headers.get('allow')).toBe('DELETE, GET, HEAD, PUT')
    const get = await fetch(`${url}/v1/invite`, { headers: auth })
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
    const none = await fetch(`${url}/v2/nothing`, { method: 'POST', headers: auth })
    expect(none.status).toBe(404)
    expect(await none.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
  })

  it('without the token even a wrong method is 401 (paths are not disclosed), with WWW-Authenticate', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${url}/v1/status`, { method })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="mycel"')
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await res.json()).toMatchObject({ error: { code: 'PERMISSION_DENIED' } })
    }
  })

  it('HEAD is served by a GET route: its headers, no body', async () => {
    const res = await fetch(`${url}/v1/status`, { method: 'HEAD', headers: auth })
    expect(res.status).toBe(200)
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0)
    expect(await res.text()).toBe('')
  })

  it('a request Node cannot parse is answered with a JSON error too', async () => {
    const { port } = new URL(url)
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => { socket.write('GET /v1/status HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n') })
      let got = ''
      socket.on('data', c => { got += c.toString() })
      socket.on('end', () => { resolve(got) })
      socket.on('error', reject)
    })
    expect(text).toMatch(/^HTTP\/1\.1 400 /)
    expect(text).toMatch(/content-type: application\/json/)
    expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'USAGE' } })
  })
})

describe('byte ranges and validators (byte-range.ts)', () => {
  it.each([
    ['bytes=0-9', { start: 0, end: 9 }], ['bytes=90-', { start: 90, end: 99 }], ['bytes=-10', { start: 90, end: 99 }],
    ['bytes=50-500', { start: 50, end: 99 }], ['bytes=-500', { start: 0, end: 99 }], ['bytes=99-99', { start: 99, end: 99 }],
    ['bytes=100-', 'unsatisfiable'], ['bytes=-0', 'unsatisfiable'],
    ['bytes=0-1,5-6', undefined], ['items=0-1', undefined], ['bytes=9-3', undefined], ['bytes=-', undefined], [undefined, undefined]
  ])('%s of 100 bytes → %j', (header, expected) => {
    expect(parseRange(header, 100)).toEqual(expected)
  })

  it('an empty blob has no satisfiable range', () => {
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable')
  })

  it('ETags: If-None-Match by weak comparison and *, If-Range by strong', () => {
    const etag = etagOf('sha256:ab')
    expect(etag).toBe('"sha256:ab"')
    expect(noneMatch('"x", W/"sha256:ab"', etag)).toBe(true)
    expect(noneMatch('*', etag)).toBe(true)
    expect(noneMatch('"sha256:cd"', etag)).toBe(false)
    expect(noneMatch(undefined, etag)).toBe(false)
    expect(rangeStillValid(undefined, etag)).toBe(true)
    expect(rangeStillValid('"sha256:ab"', etag)).toBe(true)
    expect(rangeStillValid('Wed, 21 Oct 2015 07:28:00 GMT', etag)).toBe(false)
  })
})
