// Listing more keys than one page (issue #25), against a real daemon: GET /v1/keys?after=&limit=
// reads every key once, in order, following x-mycel-next-after; `mycel ls` pages itself and prints
// everything, text or one JSON array (byte for byte the unpaged answer, pretty-printed as before);
// --limit and --after cut the listing; a bad --limit or limit is a usage error.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node } from '../../helpers/daemons.js'

interface Entry { key: string, digest: string }

const KEYS = 2500
const keyOf = (i: number): string => `k/${String(i).padStart(4, '0')}`
const ALL = Array.from({ length: KEYS }, (_, i) => keyOf(i))

describe('listing keys a page at a time', () => {
  let a: Node
  let token: string
  beforeAll(async () => {
    a = await Node.create()
    await a.start()
    token = (await readFile(join(a.dir, 'api.token'), 'utf8')).trim()
    // 32 publishes in flight: the daemon commits them in shared batches, so 2 500 take seconds.
    const todo = [...ALL, 'j/before', 'l/after', 'k/gone']
    await Promise.all(Array.from({ length: 32 }, async () => {
      for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
        const res = await a.publish(key, 'same bytes for every key')
        if (res.status !== 201) throw new Error(`publish ${key}: ${res.status} ${JSON.stringify(res.body)}`)
      }
    }))
    expect((await a.api('DELETE', `/v1/keys/${encodeURIComponent('k/gone')}`)).status).toBe(200) // a tombstone among the keys
  })
  afterAll(async () => { await a?.destroy() })

  const get = async (query: string): Promise<{ status: number, keys: string[], next: string | null, body: unknown }> => {
    const res = await fetch(`${a.ready?.api ?? ''}/v1/keys?${query}`, { headers: { authorization: `Bearer ${token}` } })
    const body = await res.json() as unknown
    return { status: res.status, keys: Array.isArray(body) ? (body as Entry[]).map(e => e.key) : [], next: res.headers.get('x-mycel-next-after'), body }
  }

  it('GET /v1/keys in pages of 1000 yields every key once, in order; the last page names no next', async () => {
    const seen: string[] = []
    const pages: number[] = []
    let query = 'prefix=k%2F&limit=1000'
    for (;;) {
      const page = await get(query)
      expect(page.status).toBe(200)
      seen.push(...page.keys)
      pages.push(page.keys.length)
      if (page.next === null) break
      expect(decodeURIComponent(page.next)).toBe(page.keys[page.keys.length - 1])
      query = `prefix=k%2F&limit=1000&after=${encodeURIComponent(decodeURIComponent(page.next))}`
    }
    expect(pages).toEqual([1000, 1000, 500])
    expect(seen).toEqual(ALL)
    const bad = await get('limit=0')
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { code: 'USAGE', message: expect.stringContaining('limit') } })
  })

  it('mycel ls prints every key though they take three pages; --json is the one array the unpaged API answers', async () => {
    const text = await cli(['ls', 'k/', '--dir', a.dir])
    expect(text.code, text.stderr).toBe(0)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines.map(l => l.split('\t')[0])).toEqual(ALL)
    expect(lines[0]).toMatch(/^k\/0000\t24\tsha256:[0-9a-f]{12}…$/)
    const json = await cli(['ls', 'k/', '--dir', a.dir, '--json'])
    expect(json.code, json.stderr).toBe(0)
    const unpaged = await get('prefix=k%2F')
    expect(unpaged.keys).toEqual(ALL)
    expect(json.stdout).toBe(JSON.stringify(unpaged.body, null, 2) + '\n') // as ls printed before it paged
    const none = await cli(['ls', 'nothing/', '--dir', a.dir, '--json'])
    expect(JSON.parse(none.stdout)).toEqual([])
  })

  it('--after starts after a key, --limit stops after N keys (across pages); a bad --limit is exit 2', async () => {
    const cut = await cli(['ls', '--after', 'k/0099', '--limit', '1500', '--dir', a.dir, '--json'])
    expect(cut.code, cut.stderr).toBe(0)
    expect((JSON.parse(cut.stdout) as Entry[]).map(e => e.key)).toEqual(ALL.slice(100, 1600))
    const tail = await cli(['ls', '--after', 'k/2498', '--dir', a.dir])
    expect(tail.stdout.trimEnd().split('\n').map(l => l.split('\t')[0])).toEqual(['k/2499', 'l/after'])
    for (const limit of ['0', 'abc', '-3', '1.5']) {
      const bad = await cli(['ls', `--limit=${limit}`, '--dir', a.dir])
      expect(bad.code, limit).toBe(2)
      expect(bad.stderr).toMatch(/--limit must be a positive integer/)
    }
  })
})
