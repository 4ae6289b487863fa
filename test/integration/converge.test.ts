// Three real daemons on 127.0.0.1: B and C join A by invite; publishes and
// deletes made anywhere reach everyone, through the CLI and the API.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until, view } from '../helpers/daemons.js'

describe('three daemons', () => {
  const nodes: Node[] = []
  let a: Node, b: Node, c: Node

  beforeAll(async () => {
    a = await Node.create(); b = await Node.create(); c = await Node.create()
    nodes.push(a, b, c)
    await a.start()
    const token = await a.invite({ uses: 2 })
    await Promise.all([b.start(['--join', token]), c.start(['--join', token])])
  })
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('share one federation and connect', async () => {
    expect(b.ready?.federation).toBe(a.ready?.federation)
    expect(c.ready?.federation).toBe(a.ready?.federation)
    await until('everyone connected to someone', async () => {
      const counts = await Promise.all(nodes.map(async n => (await n.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length))
      return counts.every(k => k >= 1)
    })
  })

  it('invite and peers through the CLI', async () => {
    const inv = await cli(['invite', '--dir', a.dir, '--json'])
    expect(inv.code).toBe(0)
    expect(JSON.parse(inv.stdout)).toMatchObject({ token: expect.stringMatching(/^mycel2[A-Za-z0-9_-]+$/), role: 'reader', uses: 1 })
    await until('B sees A and C as connected peers', async () => {
      const out = await cli(['peers', '--dir', b.dir, '--json'])
      const list = JSON.parse(out.stdout) as Array<{ peerId: string, connected: boolean, addrs: string[] }>
      const connected = list.filter(p => p.connected).map(p => p.peerId).sort()
      return connected.join() === [a.ready?.peerId, c.ready?.peerId].sort().join()
    })
  })

  it('converge on publishes and deletes made at different nodes', async () => {
    const file = join(a.dir, 'artifact.bin')
    await writeFile(file, 'artifact bytes')
    const pub = await cli(['publish', file, 'builds/app-1.0', '--prop', 'os=linux', '--dir', a.dir, '--json'])
    expect(pub.code).toBe(0)
    const published = JSON.parse(pub.stdout) as { key: string, digest: string, cid: string, size: number }
    expect(published).toMatchObject({ key: 'builds/app-1.0', size: 14, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), cid: expect.stringMatching(/^bafk/) })

    for (let i = 0; i < 10; i++) expect((await b.publish(`b/${i}`, `from b ${i}`)).status).toBe(201)
    for (let i = 0; i < 10; i++) expect((await c.publish(`c/${i}`, `from c ${i}`)).status).toBe(201)
    // Concurrent writes to one key: last-writer-wins must pick the same winner everywhere.
    await Promise.all([a.publish('shared', 'a'), b.publish('shared', 'b'), c.publish('shared', 'c')])
    await until('21+1 keys everywhere, same winners', async () => {
      const views = await Promise.all(nodes.map(view))
      return views[0].split('\n').length === 22 && views.every(v => v === views[0])
    })

    const rm = await cli(['rm', 'b/3', '--dir', c.dir, '--json'])
    expect(rm.code).toBe(0)
    await a.api('DELETE', `/v1/keys/${encodeURIComponent('c/7')}`)
    await until('deletes everywhere', async () => {
      const views = await Promise.all(nodes.map(view))
      return views.every(v => v === views[0] && !v.includes('b/3=') && !v.includes('c/7='))
    })

    const ls = await cli(['ls', 'builds/', '--dir', b.dir, '--json'])
    expect(ls.code).toBe(0)
    const entries = JSON.parse(ls.stdout) as Array<Record<string, unknown>>
    expect(entries).toEqual([{ key: 'builds/app-1.0', digest: published.digest, cid: published.cid, size: 14, props: { os: 'linux' }, author: a.ready?.peerId, stamp: expect.stringMatching(/^\d+\.\d+$/) }])

    const status = await cli(['status', '--dir', b.dir, '--json'])
    const s = JSON.parse(status.stdout) as Record<string, unknown>
    expect(s).toMatchObject({ peerId: b.ready?.peerId, federation: a.ready?.federation, listen: expect.any(Array), api: b.ready?.api, keys: 20 })
    // In a federation every member's acknowledgement is known, so the two tombstones may already be collected.
    expect(s.tombstones).toBeLessThanOrEqual(2)
    await until('lag reported as 0 once in sync', async () => {
      const st = (await b.api<{ peers: Array<{ peerId: string, lag: number | null }> }>('GET', '/v1/status')).body
      return st.peers.length >= 1 && st.peers.every(p => p.lag === 0)
    })
  })

  it('the CLI reports a missing daemon, a missing key and bad usage with the documented exit codes', async () => {
    const none = await cli(['ls', '--dir', join(a.dir, 'nowhere')])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/no mycel daemon is running.*\nhint: start one/)
    expect((await cli(['rm', 'no/such/key', '--dir', a.dir])).code).toBe(3)
    expect((await cli(['publish', '/no/such/file', 'k', '--dir', a.dir])).code).toBe(2)
    expect((await cli(['publish', '--dir', a.dir])).code).toBe(2)
  })
})

describe('members find each other beyond the inviter', () => {
  it('B and C, who only knew A, keep replicating after A is killed', async () => {
    const a = await Node.create(); const b = await Node.create(); const c = await Node.create()
    try {
      await a.start()
      const token = await a.invite({ uses: 2 })
      await Promise.all([b.start(['--join', token]), c.start(['--join', token])])
      await until('B connected to C directly', async () => {
        const peers = (await b.api<Array<{ peerId: string, connected: boolean }>>('GET', '/v1/peers')).body
        return peers.some(p => p.peerId === c.ready?.peerId && p.connected)
      })
      await a.kill()
      expect((await b.publish('after/a', 'A is gone')).status).toBe(201)
      await until('C has B\'s publish without A', async () => (await view(c)).includes('after/a='))
    } finally {
      await Promise.all([a, b, c].map(async n => { await n.destroy() }))
    }
  })
})
