// The npm registry refuses what it must, with npm's JSON error and nothing
// stored: malformed publish bodies, tarballs whose length or hashes do not
// match what the manifest says, names npm forbids, bodies over the limit,
// tokens that are not USER:SECRET, roles too small. Real HTTP against the
// registry over the in-process backend (registry/memory-backend.ts), so every
// case is cheap; the real daemons and the npm CLI are in sites.test.ts.
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemoryFederation, type MemoryBackend } from '../../../daemon/registry/memory-backend.js'
import { NpmServer } from '../../../daemon/npm/server.js'
import { publishBody, tarballOf } from '../../helpers/npm-cli.js'

const WRITER = 'Bearer ci:writer-secret'
const READER = 'Bearer dev:reader-secret'
const ADMIN = 'Bearer ops:admin-secret'
const MAX_BODY = 256 * 1024

describe('npm registry: bad input is refused, nothing stored', () => {
  let dir: string
  let backend: MemoryBackend
  let server: NpmServer
  const manifest = { name: 'good-pkg', version: '1.0.0', main: 'index.js' }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-npm-bad-'))
    const federation = new MemoryFederation({
      dir,
      users: [{ user: 'ci', secret: 'writer-secret', role: 'writer' }, { user: 'dev', secret: 'reader-secret', role: 'reader' }, { user: 'ops', secret: 'admin-secret', role: 'admin' }]
    })
    backend = await federation.site('a')
    server = new NpmServer({ backend, log: () => {}, maxPublishBytes: MAX_BODY })
    await server.start({ host: '127.0.0.1', port: 0 })
  })
  afterAll(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  const put = async (path: string, body: unknown, auth = WRITER): Promise<{ status: number, error: string }> => {
    const res = await fetch(`${server.url}${path}`, { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
    const json = await res.json() as { error?: string }
    return { status: res.status, error: json.error ?? '' }
  }
  const stored = async (): Promise<{ keys: number, blobs: number }> => ({
    keys: backend.listKeys('npm/', { limit: 1000 }).length,
    blobs: (await readdir(join(dir, 'a', 'sha256'))).length
  })

  it('malformed bodies: not JSON, not an object, no versions, another name, a manifest for another version', async () => {
    const t = tarballOf(manifest)
    const good = publishBody(manifest, t)
    const cases: Array<[unknown, RegExp]> = [
      ['{"name": ', /not JSON/],
      ['[1, 2]', /not a JSON object/],
      [{ ...good, versions: {} }, /no version/],
      [{ ...good, name: 'other-pkg' }, /not good-pkg/],
      [{ ...good, versions: { '1.0.0': { ...manifest, version: '2.0.0' } } }, /the manifest names good-pkg@2\.0\.0/],
      [{ ...good, versions: { 'not.a.version': manifest } }, /invalid version/],
      [{ ...good, _attachments: {} }, /an update of the document carries its _rev/],
      [{ ...good, _attachments: { 'x.tgz': { data: '!!!not base64', length: 3 } } }, /not base64/],
      [{ ...good, _attachments: { 'x.tgz': { data: Buffer.from('plain text, not gzip').toString('base64') } } }, /not a gzipped tarball/],
      [{ ...good, 'dist-tags': { latest: '9.9.9' } }, /not a version of good-pkg/],
      [{ ...good, 'dist-tags': { '1.x': '1.0.0' } }, /invalid dist-tag/]
    ]
    for (const [body, why] of cases) {
      const r = await put('/good-pkg', body)
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(r.error).toMatch(why)
    }
    expect(await stored()).toEqual({ keys: 0, blobs: 0 })
  })

  it('attachments that do not match: the length, the shasum, the integrity', async () => {
    const t = tarballOf(manifest)
    const other = tarballOf(manifest, 'other bytes')
    const file = 'good-pkg-1.0.0.tgz'
    const body = publishBody(manifest, t) as { versions: Record<string, Record<string, unknown>>, _attachments: Record<string, Record<string, unknown>> }
    const withDist = (dist: Record<string, unknown>): unknown => ({ ...body, versions: { '1.0.0': { ...body.versions['1.0.0'], dist } } })
    const cases: Array<[unknown, RegExp]> = [
      [{ ...body, _attachments: { [file]: { ...body._attachments[file], length: 3 } } }, /says 3 bytes but holds/],
      [withDist({ shasum: other.shasum, integrity: t.integrity }), /shasum mismatch/],
      [withDist({ shasum: t.shasum, integrity: other.integrity }), /integrity mismatch/],
      [withDist({ integrity: 12 }), /integrity mismatch/]
    ]
    for (const [b, why] of cases) {
      const r = await put('/good-pkg', b)
      expect(r.status).toBe(400)
      expect(r.error).toMatch(why)
    }
    expect(await stored()).toEqual({ keys: 0, blobs: 0 })
  })

  it('names npm forbids: capitals, core modules, leading dot or underscore, spaces, specials, too long, bad scopes', async () => {
    for (const name of ['Upper', 'http', 'fs', '.hidden', '_under', 'has space', 'bang!', 'x'.repeat(215), '@scope', '@Scope/x', 'node_modules', 'favicon.ico']) {
      const m = { name, version: '1.0.0' }
      const r = await put(`/${encodeURIComponent(name)}`, publishBody(m, tarballOf(m)))
      expect(r.status, name).toBe(400)
      expect(r.error).toMatch(/invalid package name|no such endpoint/)
    }
    expect(await stored()).toEqual({ keys: 0, blobs: 0 })
  })

  it('a body over the limit is refused (413) before it is read whole', async () => {
    const big = 'x'.repeat(MAX_BODY + 1)
    const r = await put('/good-pkg', JSON.stringify({ name: 'good-pkg', pad: big }))
    expect(r.status).toBe(413)
    expect(r.error).toMatch(/larger than this registry's limit/)
    expect(await stored()).toEqual({ keys: 0, blobs: 0 })
  })

  it('a refusal before the body is read still reads a small body first: the answer arrives whole and the connection stays open', async () => {
    const { connect } = await import('node:net')
    const { port } = new URL(server.url)
    const socket = connect(Number(port), '127.0.0.1')
    await new Promise<void>(resolve => socket.once('connect', () => { resolve() }))
    let received = ''
    socket.on('data', (b: Buffer) => { received += b.toString() })
    const body = JSON.stringify(publishBody(manifest, tarballOf(manifest)))
    const head = (auth: string): string => `PUT /good-pkg HTTP/1.1\r\nhost: x\r\nauthorization: ${auth}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`
    // A reader's publish is refused on its headers; its body follows in two writes, the second after a turn.
    socket.write(head(READER) + body.slice(0, 100))
    await new Promise(resolve => setImmediate(resolve))
    socket.write(body.slice(100))
    const answered = async (n: number): Promise<void> => {
      while ((received.match(/HTTP\/1\.1 /g) ?? []).length < n || !received.trimEnd().endsWith('}')) await new Promise(resolve => socket.once('data', resolve))
    }
    await answered(1)
    expect(received).toMatch(/^HTTP\/1\.1 403/)
    expect(received.toLowerCase()).not.toContain('connection: close')
    // The same connection takes the next request.
    socket.write('GET /-/ping HTTP/1.1\r\nhost: x\r\n\r\n')
    await answered(2)
    expect(received).toMatch(/HTTP\/1\.1 200 OK[\s\S]*\{\}$/)
    socket.destroy()
    expect(await stored()).toEqual({ keys: 0, blobs: 0 })
  })

  it('tokens: none is 401, a malformed one 401, a wrong secret 401, a reader publishing 403; a good publish then lands', async () => {
    const body = publishBody(manifest, tarballOf(manifest))
    expect((await put('/good-pkg', body, '')).status).toBe(401)
    expect((await put('/good-pkg', body, 'Bearer no-colon-here')).error).toMatch(/USER:SECRET/)
    expect((await put('/good-pkg', body, 'Bearer ci:wrong')).status).toBe(401)
    const reader = await put('/good-pkg', body, READER)
    expect(reader.status).toBe(403)
    expect(reader.error).toMatch(/this needs the writer role; dev is a reader/)
    expect(await stored()).toEqual({ keys: 0, blobs: 0 })
    expect((await put('/good-pkg', body)).status).toBe(201)
    expect(await stored()).toEqual({ keys: 2, blobs: 1 }) // the version and latest; one tarball
  })

  it('a document update: a stale rev is 409; unpublishing needs an admin; a tag on a version that is not there is refused', async () => {
    const doc = await (await fetch(`${server.url}/good-pkg?write=true`, { headers: { authorization: WRITER } })).json() as Record<string, any>
    expect((await put('/good-pkg/-rev/1-stale', doc)).status).toBe(409)
    const without = { ...doc, versions: {}, 'dist-tags': {} }
    const r = await put(`/good-pkg/-rev/${doc._rev as string}`, without)
    expect(r.status).toBe(403)
    expect(r.error).toMatch(/needs the admin role/)
    expect((await put(`/good-pkg/-rev/${doc._rev as string}`, { ...doc, 'dist-tags': { latest: '3.0.0' } })).status).toBe(400)
    expect((await put('/-/package/good-pkg/dist-tags/beta', '"3.0.0"')).status).toBe(404)
    expect(backend.listKeys('npm/', { limit: 1000 }).map(e => e.key)).toEqual(['npm/good-pkg/dist-tags/latest', 'npm/good-pkg/versions/1.0.0'])
    // An admin may: the version becomes a marker, and is never published again.
    expect((await put(`/good-pkg/-rev/${doc._rev as string}`, without, ADMIN)).status).toBe(200)
    const again = await put('/good-pkg', publishBody(manifest, tarballOf(manifest)))
    expect(again.status).toBe(403)
    expect(again.error).toMatch(/was unpublished .* never reused/)
    expect((await fetch(`${server.url}/good-pkg`, { headers: { authorization: READER } })).status).toBe(404)
  })
})
