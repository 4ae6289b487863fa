// A disk quota on real daemons (config quotaBytes): B, on-demand with a 3 MiB quota, holds its own
// 1 MiB publish and fetches 1 MiB blobs A published. Past the quota the least recently fetched (or
// read) blob is evicted and the newest kept, B's own bytes never; A's `locate` stops naming B as a
// holder of what B evicted; an evicted blob is fetched again from A; a blob larger than the quota is
// refused with an error naming it; status shows the quota, the bytes used and the evictions.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

const MiB = 1024 * 1024

interface Quota { quotaBytes: number, usedBytes: number, blobs: number, evictions: number, refusedMirrors: number }
interface Status { local: string, holders: string[] }

describe('disk quota', () => {
  const nodes: Node[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  /** The bytes of `key` read through `node`'s API (fetched first if need be). */
  async function content (node: Node, key: string): Promise<{ status: number, bytes: Buffer }> {
    const token = (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
    const res = await fetch(`${node.ready?.api ?? ''}/v1/blobs/${encodeURIComponent(key)}/content?wait=20`, { headers: { authorization: `Bearer ${token}` } })
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) }
  }
  const local = async (node: Node, key: string): Promise<string> => (await node.api<Status>('GET', `/v1/blobs/${encodeURIComponent(key)}`)).body.local
  const quota = async (node: Node): Promise<Quota> => (await node.api<{ quota: Quota }>('GET', '/v1/status')).body.quota
  /** 1 MiB of one letter: distinct bytes per key, made without I/O. */
  const blob = (letter: string): string => letter.repeat(MiB)

  it('evicts the least recently fetched on-demand bytes, never its own, and fetches them again from another site', async () => {
    const a = await Node.create()
    const b = await Node.create({ replicate: 'on-demand', quotaBytes: '3MiB' })
    nodes.push(a, b)
    await a.start()
    await b.start(['--join', await a.invite({ uses: 1 })])
    await until('B connected to A', async () => (await b.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length >= 1)
    for (const k of ['1', '2', '3', '4']) expect((await a.publish(`q/x${k}`, blob(k))).status).toBe(201)
    expect((await a.publish('q/big', 'B'.repeat(4 * MiB))).status).toBe(201)
    expect((await b.publish('q/own', blob('o'))).status).toBe(201)
    await until('B has the metadata', async () => (await b.keys()).filter(k => k.key.startsWith('q/')).length === 6)

    // x1 and x2 fill the quota with B's own blob; x3 takes the place of x1, the least recently fetched.
    for (const k of ['1', '2', '3']) expect((await content(b, `q/x${k}`)).bytes.equals(Buffer.from(blob(k)))).toBe(true)
    expect(await local(b, 'q/x1')).toBe('absent')
    // A read makes x2 more recent than x3: x4 takes the place of x3.
    expect((await content(b, 'q/x2')).status).toBe(200)
    expect((await content(b, 'q/x4')).status).toBe(200)
    expect({ x1: await local(b, 'q/x1'), x2: await local(b, 'q/x2'), x3: await local(b, 'q/x3'), x4: await local(b, 'q/x4'), own: await local(b, 'q/own') })
      .toEqual({ x1: 'absent', x2: 'complete', x3: 'absent', x4: 'complete', own: 'complete' })
    expect(await quota(b)).toMatchObject({ quotaBytes: 3 * MiB, usedBytes: 3 * MiB, blobs: 3, evictions: 2 })

    // B no longer answers that it holds what it evicted; it still does for what it kept.
    const bId = b.ready?.peerId as string
    expect((await a.api<Status>('GET', '/v1/blobs/q%2Fx1?locate=1')).body.holders).not.toContain(bId)
    expect((await a.api<Status>('GET', '/v1/blobs/q%2Fx4?locate=1')).body.holders).toContain(bId)

    // x1 again, from A: x2 goes now (read before x4 was fetched); B's own blob stays.
    expect((await content(b, 'q/x1')).bytes.equals(Buffer.from(blob('1')))).toBe(true)
    expect({ x2: await local(b, 'q/x2'), own: await local(b, 'q/own') }).toEqual({ x2: 'absent', own: 'complete' })

    // Larger than the whole quota: refused before a byte is fetched, naming the quota.
    const big = await content(b, 'q/big')
    expect(big.status).toBe(413)
    expect(JSON.parse(big.bytes.toString())).toMatchObject({ error: { code: 'TOO_LARGE', message: expect.stringMatching(/more than this site's disk quota of 3145728 bytes/) } })

    const json = await cli(['status', '--dir', b.dir, '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ quota: { quotaBytes: 3 * MiB, usedBytes: 3 * MiB, evictions: 3, refusedFetches: 1 } })
    const text = await cli(['status', '--dir', b.dir])
    expect(text.stdout).toMatch(/quota\s+3\.0 MiB of 3\.0 MiB used \(100%, 3 blobs\); 3 evicted \(3\.0 MiB\); 1 refused/)
    expect(text.stdout).toMatch(/WARNING: quota full: refused 4\.0 MiB of sha256:/)
    expect((await a.api<{ quota: unknown }>('GET', '/v1/status')).body.quota).toBeNull()
  })

  it('an eager mirror stops at the quota (refusals in status, retried) and evicts no mirrored bytes for itself; a fetch may', async () => {
    const a = await Node.create()
    const c = await Node.create({ quotaBytes: 2 * MiB }) // eager (the default)
    nodes.push(a, c)
    await a.start()
    for (const k of ['1', '2', '3', '4']) expect((await a.publish(`m/x${k}`, blob(k))).status).toBe(201)
    await c.start(['--join', await a.invite({ uses: 1 })])
    // Two blobs fit; the mirror is refused the others (it backs off and retries) and evicts nothing for them.
    await until('two blobs mirrored, and the mirror refused for want of room', async () => {
      const q = await quota(c)
      return q.blobs === 2 && q.refusedMirrors >= 2
    })
    expect(await quota(c)).toMatchObject({ usedBytes: 2 * MiB, blobs: 2, evictions: 0, refusedFetches: 0 })
    const stats = (await c.api<{ stats: { blob: { missing: number } } }>('GET', '/v1/status')).body.stats
    expect(stats.blob.missing).toBe(2)
    // Its signed site report says its quota is full, so every site's placement chooses others first; `mycel sites` shows it.
    const cId = c.ready?.peerId
    await until('A hears that C\'s quota is full', async () => (await a.api<Array<{ peerId: string, report: { holdings: { full?: boolean } | null } | null }>>('GET', '/v1/sites')).body.find(r => r.peerId === cId)?.report?.holdings?.full === true, 40_000)
    expect((await cli(['sites', '--dir', a.dir])).stdout).toMatch(/disk quota full/)
    // A fetch someone waits on may evict mirrored bytes (the least recently fetched) when nothing else may go.
    const held = new Set<string>()
    for (const k of ['1', '2', '3', '4']) if (await local(c, `m/x${k}`) === 'complete') held.add(k)
    const wanted = ['1', '2', '3', '4'].find(k => !held.has(k)) as string
    expect((await content(c, `m/x${wanted}`)).bytes.equals(Buffer.from(blob(wanted)))).toBe(true)
    expect(await quota(c)).toMatchObject({ usedBytes: 2 * MiB, blobs: 2, evictions: 1 })
  })
})
