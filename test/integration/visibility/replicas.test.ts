// Visibility joined to blob transfer, against two real daemons that mirror
// eagerly: `where` learns the other member's verified bytes from the blob
// layer's have-queries, `publish --wait-replicas all` returns once every
// member holds them, and `watch` reports the bytes becoming `available`.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { CliProcess } from '../../helpers/visibility.js'

describe('replicas: visibility of bytes across members', () => {
  let a: Node, b: Node
  const procs: CliProcess[] = []

  beforeAll(async () => {
    a = await Node.create()
    b = await Node.create()
    await a.start()
    await b.start(['--join', await a.invite()])
    await until('A and B connected', async () => (await a.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length === 1)
  })
  afterAll(async () => {
    for (const p of procs) p.kill()
    await Promise.all([a.destroy(), b.destroy()])
  })

  it('publish --wait-replicas all returns once B holds the bytes; B saw them become available', async () => {
    const watch = new CliProcess(['watch', 'rel/', '--json', '--type', 'available', '--count', '1', '--dir', b.dir])
    procs.push(watch)
    await watch.waitStderr('watching rel/')
    const file = join(a.dir, 'release.bin')
    await writeFile(file, 'release bytes '.repeat(1000))
    const out = await cli(['publish', file, 'rel/app', '--wait-replicas', 'all', '--timeout', '30s', '--json', '--dir', a.dir])
    expect(out.code).toBe(0)
    const published = JSON.parse(out.stdout) as { digest: string }
    expect(await watch.exited).toBe(0)
    const [event] = watch.lines<{ type: string, key: string, digest: string }>()
    expect(event).toMatchObject({ type: 'available', key: 'rel/app', digest: published.digest })
  })

  it('where shows verified bytes held by both members', async () => {
    await until('B holds rel/app', async () => {
      const rows = JSON.parse((await cli(['where', 'rel/app', '--json', '--dir', a.dir])).stdout) as Array<{ bytes: string }>
      return rows.length === 2 && rows.every(r => r.bytes === 'held')
    })
    const rows = JSON.parse((await cli(['where', 'rel/app', '--json', '--dir', a.dir])).stdout) as Array<{ peerId: string, bytes: string, metadata: string | null }>
    expect(rows.map(r => r.peerId).sort()).toEqual([a.ready?.peerId, b.ready?.peerId].sort())
    for (const r of rows) expect(r).toMatchObject({ bytes: 'held', metadata: expect.any(String) })
  })
})
