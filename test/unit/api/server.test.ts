// The local API server on a loopback port: the token, routing, JSON errors, uploads, api.json.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ApiServer, type ApiFile } from '../../../daemon/api/server.js'
import type { Entry } from '../../../daemon/api/contract.js'
import { nodeRoutes, type NodeApi } from '../../../daemon/api/node-routes.js'
import { Logger } from '../../../daemon/log.js'
import { MycelError } from '../../../protocol/errors.js'

const entry: Entry = { key: 'a/b', digest: 'sha256:00', cid: 'bafk', size: 3, props: { os: 'linux' }, author: 'P', stamp: '1.0' }

function stubApi (uploads: string[], listed: Entry[] = [entry]): NodeApi {
  return {
    status: () => ({ peerId: 'P', name: 'site-a', federation: 'F', role: 'admin', listen: [], api: '', peers: [], keys: 1, tombstones: 0, digest: '00', dir: '', version: '0', uptimeMs: 0, stats: {} }),
    peers: () => [],
    page: (prefix, after, limit) => {
      const all = listed.filter(e => e.key.startsWith(prefix) && (after === undefined || e.key > after)).sort((a, b) => a.key < b.key ? -1 : 1)
      return { entries: all.slice(0, limit), more: all.length > limit }
    },
    get: key => key === entry.key ? entry : undefined,
    publish: async (key, props, body) => {
      if (key === 'huge') {
        for await (const _chunk of body) throw MycelError.tooLarge('blob', 1 << 30, 1024)
      }
      let text = ''
      for await (const chunk of body) text += Buffer.from(chunk).toString()
      uploads.push(text)
      return { ...entry, key, props }
    },
    publishStaged: async (key, props, staged) => { uploads.push(`staged:${staged}`); return { ...entry, key, props } },
    remove: async key => { throw new MycelError('NOT_FOUND', `no key ${key}`) },
    invite: () => ({ token: 'T', federation: 'F', inviter: 'P', role: 'writer', expiresAt: '', uses: 1 }),
    members: () => [],
    rules: () => ({ rules: [], author: null, authorName: null, stamp: null }),
    setRules: async () => ({ rules: [], author: null, authorName: null, stamp: null }),
    revoke: async peer => ({ peerId: peer, stamp: '1.0' }),
    join: async () => ({ federation: 'F', role: 'writer', member: 'P', switched: true })
  }
}

describe('ApiServer', () => {
  let dir: string
  let server: ApiServer
  let url: string
  let token: string
  const uploads: string[] = []
  let listed: Entry[]

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-api-'))
    listed = [entry]
    server = new ApiServer({ dir, port: 0 }, { routes: nodeRoutes(stubApi(uploads, listed)), log: new Logger({ write: () => {} }) })
    await server.start()
    url = (JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as ApiFile).url
    token = (await readFile(join(dir, 'api.token'), 'utf8')).trim()
  })
  afterEach(async () => {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('writes api.json with a 127.0.0.1 URL and a 0600 token file', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect((await stat(join(dir, 'api.token'))).mode & 0o777).toBe(0o600)
    expect(token).toMatch(/^[0-9a-f]{64}$/)
  })

  it('answers 401 PERMISSION_DENIED without or with a wrong token', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Basic ${token}` }] as Array<Record<string, string>>) {
      const res = await fetch(`${url}/v1/status`, { headers })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: { code: 'PERMISSION_DENIED', message: expect.any(String) } })
    }
  })

  it('serves routes with the token; errors are JSON with a code', async () => {
    const auth = { authorization: `Bearer ${token}` }
    expect(await (await fetch(`${url}/v1/status`, { headers: auth })).json()).toMatchObject({ peerId: 'P', keys: 1 })
    expect(await (await fetch(`${url}/v1/keys?prefix=a/`, { headers: auth })).json()).toEqual([entry])
    expect(await (await fetch(`${url}/v1/keys/${encodeURIComponent('a/b')}`, { headers: auth })).json()).toEqual(entry)
    const missing = await fetch(`${url}/v1/keys/zzz`, { headers: auth })
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
    const del = await fetch(`${url}/v1/keys/zzz`, { method: 'DELETE', headers: auth })
    expect(del.status).toBe(404)
    const route = await fetch(`${url}/v2/nothing`, { headers: auth })
    expect(await route.json()).toMatchObject({ error: { code: 'NOT_FOUND' } })
  })

  it('pages GET /v1/keys with after and limit, naming the next cursor in x-mycel-next-after while more follow', async () => {
    const auth = { authorization: `Bearer ${token}` }
    listed.push(...['a/c', 'a/d e', 'a/é', 'b/x'].map(key => ({ ...entry, key })))
    const keysOf = async (res: Response): Promise<string[]> => ((await res.json()) as Entry[]).map(e => e.key)
    const first = await fetch(`${url}/v1/keys?prefix=a/&limit=2`, { headers: auth })
    expect(await keysOf(first)).toEqual(['a/b', 'a/c'])
    expect(first.headers.get('x-mycel-next-after')).toBe('a%2Fc')
    const second = await fetch(`${url}/v1/keys?prefix=a/&limit=1&after=${encodeURIComponent('a/c')}`, { headers: auth })
    expect(await keysOf(second)).toEqual(['a/d e'])
    expect(second.headers.get('x-mycel-next-after')).toBe('a%2Fd%20e')
    const last = await fetch(`${url}/v1/keys?prefix=a/&limit=2&after=${encodeURIComponent('a/d e')}`, { headers: auth })
    expect(await keysOf(last)).toEqual(['a/é']) // the last under a/: no header, though b/x follows outside the prefix
    expect(last.headers.get('x-mycel-next-after')).toBeNull()
    const accented = await fetch(`${url}/v1/keys?limit=4`, { headers: auth })
    expect(await keysOf(accented)).toEqual(['a/b', 'a/c', 'a/d e', 'a/é'])
    expect(accented.headers.get('x-mycel-next-after')).toBe('a%2F%C3%A9')
    const exact = await fetch(`${url}/v1/keys?limit=5`, { headers: auth }) // exactly the rest: no header
    expect(await keysOf(exact)).toEqual(['a/b', 'a/c', 'a/d e', 'a/é', 'b/x'])
    expect(exact.headers.get('x-mycel-next-after')).toBeNull()
    const after = await fetch(`${url}/v1/keys?after=a%2Fd%20e`, { headers: auth }) // after alone: a page of the default size
    expect(await keysOf(after)).toEqual(['a/é', 'b/x'])
    const unpaged = await fetch(`${url}/v1/keys`, { headers: auth })
    expect(await keysOf(unpaged)).toHaveLength(5)
    expect(unpaged.headers.get('x-mycel-next-after')).toBeNull()
  })

  it('refuses a bad limit or after with 400 USAGE; an unpaged list past its bound is TOO_LARGE and says to page', async () => {
    const auth = { authorization: `Bearer ${token}` }
    for (const q of ['limit=0', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=10001', 'limit=', 'limit=1&limit=2', 'after=a&after=b', `after=${'x'.repeat(1025)}`]) {
      const res = await fetch(`${url}/v1/keys?${q}`, { headers: auth })
      expect(res.status, q).toBe(400)
      expect(await res.json(), q).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(/limit|after/) } })
    }
    listed.push(...Array.from({ length: 100_000 }, (_, i) => ({ ...entry, key: `k/${i}` })))
    const res = await fetch(`${url}/v1/keys`, { headers: auth })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: { code: 'TOO_LARGE', message: expect.stringMatching(/after=.*limit=.*mycel ls pages itself/) } })
    const page = await fetch(`${url}/v1/keys?limit=10000`, { headers: auth })
    expect(((await page.json()) as Entry[])).toHaveLength(10_000)
    expect(page.headers.get('x-mycel-next-after')).toBe(encodeURIComponent(((listed.map(e => e.key).sort())[9999])))
  })

  it('streams an upload to publish with props; bad props are USAGE', async () => {
    const auth = { authorization: `Bearer ${token}` }
    const res = await fetch(`${url}/v1/keys/${encodeURIComponent('x/y z')}?prop=os%3Dlinux&prop=note%3Da%3Db`, { method: 'PUT', headers: auth, body: 'payload' })
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ key: 'x/y z', props: { os: 'linux', note: 'a=b' } })
    expect(uploads).toContain('payload')
    const bad = await fetch(`${url}/v1/keys/k?prop=novalue`, { method: 'PUT', headers: auth, body: 'x' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: { code: 'USAGE' } })
  })

  it('refuses an upload midway with 413 TOO_LARGE and closes the connection', async () => {
    const res = await fetch(`${url}/v1/keys/huge`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: Buffer.alloc(8 * 1024 * 1024) })
    expect(res.status).toBe(413)
    expect(res.headers.get('connection')).toBe('close')
    expect(await res.json()).toMatchObject({ error: { code: 'TOO_LARGE' } })
  })

  it('removes api.json on stop and keeps the token for the next start', async () => {
    await server.stop()
    await expect(stat(join(dir, 'api.json'))).rejects.toThrow()
    server = new ApiServer({ dir, port: 0 }, { routes: nodeRoutes(stubApi(uploads)), log: new Logger({ write: () => {} }) })
    await server.start()
    expect((await readFile(join(dir, 'api.token'), 'utf8')).trim()).toBe(token)
  })
})
