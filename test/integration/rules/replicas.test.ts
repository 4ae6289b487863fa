// The replication factor on real daemons (issue #21): five sites, every one `--replicate on-demand`,
// so only the factor makes copies. Under `replicas: 2` a publish is held by exactly two sites (its
// author and the one placement chose), `where` shows target 2 actual 2, and `publish --wait-replicas
// factor` returns once they hold. Then the author is killed for good and revoked: the harder case,
// since the new holder must fetch from the other holder (the origin is gone) and the put must outlive
// its author's revocation — and a third site holds the bytes within a minute, no other one fetching.
import { mkdtemp, rm as rmDir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WhereAnswer, WhereRow } from '../../../daemon/api/contract.js'
import { cli, Node, until } from '../../helpers/daemons.js'

const SITES = 5

describe('replication factor on real daemons', () => {
  const nodes: Node[] = []
  let work: string
  const idOf = (n: Node): string => n.ready?.peerId as string
  const nodeOf = (peerId: string): Node => nodes.find(n => idOf(n) === peerId) as Node
  const where = async (n: Node, key: string): Promise<WhereAnswer> => (await n.api<WhereAnswer>('GET', `/v1/where/${encodeURIComponent(key)}`)).body
  /** Whether a node's store holds the complete, verified blob. */
  const holds = async (n: Node, digest: string): Promise<boolean> => (await n.api<{ local?: string }>('GET', `/v1/blobs/${digest}`)).body.local === 'complete'

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-replicas-'))
    for (let i = 0; i < SITES; i++) nodes.push(await Node.create())
    const [a, ...rest] = nodes
    await a.start(['--replicate', 'on-demand', '--name', 'site-0'])
    const tokens = await Promise.all(rest.map(async () => await a.invite()))
    await Promise.all(rest.map(async (n, i) => await n.start(['--join', tokens[i], '--replicate', 'on-demand', '--name', `site-${i + 1}`], 30_000)))
    // Every site knows every member and its policy (site record), and is connected to the others.
    await until('every site knows the five members and their records', async () => {
      const seen = await Promise.all(nodes.map(async n => (await n.api<Array<{ role: string | null, name: string | null }>>('GET', '/v1/members')).body))
      return seen.every(list => list.filter(m => m.role !== null && m.name?.startsWith('site-') === true).length === SITES)
    }, 60_000)
    await until('a full mesh', async () => (await Promise.all(nodes.map(async n => (await n.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length))).every(k => k >= SITES - 1), 60_000)
    const rules = join(work, 'rules.json')
    await writeFile(rules, JSON.stringify({ rules: [{ prefix: 'rel/', replicas: 2 }] }))
    expect((await cli(['rules', 'set', rules, '--dir', a.dir])).code).toBe(0)
    await until('the rules at every site', async () => (await Promise.all(nodes.map(async n => (await n.api<{ rules: unknown[] }>('GET', '/v1/rules')).body.rules.length))).every(k => k === 1))
  }, 120_000)

  afterAll(async () => {
    for (const n of nodes) await n.destroy()
    await rmDir(work, { recursive: true, force: true })
  })

  it('a key without a factor: --wait-replicas factor is a usage error, before anything is published', async () => {
    const file = join(work, 'plain')
    await writeFile(file, 'no rule for me')
    const out = await cli(['publish', file, 'tmp/plain', '--wait-replicas', 'factor', '--dir', nodes[1].dir])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('tmp/plain has no replication factor (no rule covers it; see mycel rules)')
    expect((await nodes[1].keys()).map(k => k.key)).not.toContain('tmp/plain')
  })

  it('2 of 5 sites hold the bytes; after the author is killed and revoked, a new holder within a minute', async () => {
    const [admin, author] = nodes
    const file = join(work, 'app')
    await writeFile(file, 'release bytes '.repeat(50_000)) // 700 kB
    const t0 = Date.now()
    const published = await cli(['publish', file, 'rel/app-1', '--wait-replicas', 'factor', '--timeout', '60s', '--json', '--dir', author.dir])
    expect(published.code, published.stderr).toBe(0)
    const result = JSON.parse(published.stdout) as { digest: string, barrier: { met: boolean, required: number, holding: Array<{ peerId: string }> } }
    expect(result.barrier).toMatchObject({ met: true, required: 2 })
    console.log(`publish --wait-replicas factor (2 of 5): ${Date.now() - t0} ms`)

    // Every site places the key the same way: the author and one more.
    await until('every site has the key', async () => (await Promise.all(nodes.map(async n => (await n.keys()).some(k => k.key === 'rel/app-1')))).every(Boolean))
    const chosen = (await where(admin, 'rel/app-1')).replicas?.holders ?? []
    expect(chosen).toHaveLength(2)
    expect(chosen[0]).toBe(idOf(author))
    for (const n of nodes) expect((await where(n, 'rel/app-1')).replicas?.holders).toEqual(chosen)
    // Exactly those two hold the bytes: every site on-demand, nobody else fetched.
    const holding = async (): Promise<string[]> => (await Promise.all(nodes.filter(n => n.proc !== undefined).map(async n => await holds(n, result.digest) ? idOf(n) : undefined))).filter((p): p is string => p !== undefined).sort()
    expect(await holding()).toEqual([...chosen].sort())
    const answer = await where(admin, 'rel/app-1')
    expect(answer.replicas).toEqual({ target: 2, actual: 2, holders: chosen })
    expect(answer.members.filter((m: WhereRow) => m.placed === true).map(m => m.peerId).sort()).toEqual([...chosen].sort())
    const text = await cli(['where', 'rel/app-1', '--dir', admin.dir])
    expect(text.stdout).toContain(`replicas: 2 held, target 2; chosen: site-1, ${(answer.members.find(m => m.peerId === chosen[1]) as WhereRow).name as string}`)
    const json = JSON.parse((await cli(['where', 'rel/app-1', '--json', '--dir', admin.dir])).stdout) as Array<{ placed: boolean, replicas: unknown }>
    expect(json.every(r => typeof r.placed === 'boolean')).toBe(true)
    expect(json[0].replicas).toEqual({ target: 2, actual: 2, holders: chosen })

    // The author is killed for good and revoked by the admin.
    await author.kill()
    const revoked = await cli(['revoke', idOf(author), '--dir', admin.dir, '--json'])
    expect(revoked.code, revoked.stderr).toBe(0)
    const t1 = Date.now()
    const survivor = chosen[1]
    let newHolder: string | undefined
    await until('a new holder has the bytes', async () => {
      const a = await where(admin, 'rel/app-1')
      if (a.replicas === null || a.replicas.actual < 2 || a.replicas.holders.includes(idOf(author))) return false
      newHolder = a.replicas.holders.find(p => p !== survivor)
      return newHolder !== undefined && await holds(nodeOf(newHolder), result.digest)
    }, 60_000, 250)
    console.log(`new holder after the author's revocation: ${Date.now() - t1} ms`)
    expect(Date.now() - t1).toBeLessThan(60_000)
    const after = await where(admin, 'rel/app-1')
    expect(after.replicas).toMatchObject({ target: 2, actual: 2 })
    expect(after.replicas?.holders.sort()).toEqual([survivor, newHolder].sort())
    expect(after.members.map(m => m.peerId)).not.toContain(idOf(author))
    // The other holder kept its copy, and no site besides the chosen two fetched.
    expect(await holding()).toEqual([survivor, newHolder].sort())
  }, 120_000)
})
