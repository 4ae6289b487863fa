// `reverted` on real daemons: a member's write that a site applied stops counting once an admin who
// had not seen it revokes the member; the site that applied it says so in watch and webhooks, and the
// key holds again what the write had superseded.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { firstEvent } from '../../helpers/events.js'

describe('reverted', () => {
  let a: Node, b: Node, c: Node
  let work: string
  let cutFile: string
  const digestAt = async (n: Node, key: string): Promise<string | undefined> => (await n.keys()).find(k => k.key === key)?.digest

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-reverted-'))
    cutFile = join(work, 'a-cuts')
    await writeFile(cutFile, '')
    a = await Node.create(); b = await Node.create(); c = await Node.create()
    await a.start([], 20_000, { MYCEL_TEST_LINK_FAULTS: cutFile })
    await b.start(['--join', await a.invite()])
    await c.start(['--join', await a.invite()])
    await until('A, B and C connected', async () => (await Promise.all([a, b, c].map(async n => (await n.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length))).every(k => k >= 2))
  }, 90_000)

  afterAll(async () => {
    for (const n of [a, b, c]) await n.destroy()
    await rm(work, { recursive: true, force: true })
  })

  it('a write the revoking admin had not seen is voided where it was applied: reverted, and the older version is back', async () => {
    expect((await b.publish('rv/x', 'first, by B')).status).toBe(201)
    for (const n of [a, c]) await until('everyone has B\'s version', async () => (await digestAt(n, 'rv/x')) !== undefined)
    const older = await digestAt(b, 'rv/x')
    // A hears nothing from B or C while C overwrites the key; B applies C's write.
    await writeFile(cutFile, `${b.ready?.peerId as string}\n${c.ready?.peerId as string}\n`)
    await until('A cut off', async () => (await a.api<Array<{ connected: boolean }>>('GET', '/v1/peers')).body.every(p => !p.connected))
    expect((await c.publish('rv/x', 'then, by C')).status).toBe(201)
    const voided = await digestAt(c, 'rv/x')
    await until('B applied C\'s write', async () => (await digestAt(b, 'rv/x')) === voided)
    // A revokes C with a view that lacks that write, then hears B again.
    const revoked = await cli(['revoke', c.ready?.peerId as string, '--dir', a.dir])
    expect(revoked.code).toBe(0)
    await writeFile(cutFile, `${c.ready?.peerId as string}\n`)
    await until('B holds B\'s version again', async () => (await digestAt(b, 'rv/x')) === older, 30_000)
    const event = await firstEvent(b, 'reverted')
    expect(event).toMatchObject({ type: 'reverted', key: 'rv/x', author: c.ready?.peerId, peer: c.ready?.peerId, lost: 'put', lostDigest: voided, won: 'put', digest: older })
    const watched = await cli(['watch', '--dir', b.dir, '--type', 'reverted', '--recent', '10', '--count', '1'])
    expect(watched.stdout).toMatch(/reverted\s+rv\/x\s+\S+'s sha256:\S+ voided \(its author's writes no longer count\); now sha256:/)
    expect(await digestAt(a, 'rv/x')).toBe(older)
  }, 90_000)
})
