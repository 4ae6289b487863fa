// Retention against real daemons (issue #21): three sites, the rule { prefix: 'snapshots/', retention:
// { keep: 3 } }, ten versions published from two sites. The dry run lists the same 7 deletes and names
// the same runner at every site (and before the rule is set, under the rule given); a run from a site
// that is not the runner deletes them; every site then lists exactly the newest 3. Then the runner,
// restarted with a short interval, keeps the newest 3 by itself as new versions arrive.
import { mkdtemp, rm as rmDir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RetentionPlanInfo, RetentionRunInfo } from '../../../daemon/api/contract.js'
import { cli, Node, until } from '../../helpers/daemons.js'

/** Long enough that no site runs retention by itself before the test asks it to. */
const QUIET = { antiEntropyIntervalMs: 200, retentionIntervalMs: '10m' }

describe('retention on real daemons', () => {
  let a: Node, b: Node, c: Node
  let work: string
  const snapshots = async (n: Node): Promise<string[]> => (await n.keys()).map(k => k.key).filter(k => k.startsWith('snapshots/')).sort()
  const versions = (...ns: number[]): string[] => ns.map(i => `snapshots/app/${i}`).sort()
  const json = async <T>(args: string[]): Promise<T> => {
    const out = await cli([...args, '--json'])
    if (out.code !== 0) throw new Error(`mycel ${args.join(' ')} exited ${String(out.code)}: ${out.stderr}`)
    return JSON.parse(out.stdout) as T
  }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-retention-'))
    a = await Node.create(QUIET); b = await Node.create(QUIET); c = await Node.create(QUIET)
    await a.start()
    await b.start(['--join', await a.invite()])
    await c.start(['--join', await a.invite()])
    await until('A, B and C connected', async () => (await Promise.all([a, b, c].map(async n => (await n.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length))).every(k => k >= 2))
  }, 60_000)

  afterAll(async () => {
    for (const n of [a, b, c]) await n.destroy()
    await rmDir(work, { recursive: true, force: true })
  })

  it('keeps the last 3 of 10 versions everywhere: the same plan at every site, run from a site that is not the runner', async () => {
    for (let i = 1; i <= 10; i++) expect((await (i % 2 === 0 ? a : b).publish(`snapshots/app/${i}`, `v${i}`)).status).toBe(201)
    expect((await c.publish('other/keep-me', 'x')).status).toBe(201)
    for (const n of [a, b, c]) await until('ten versions everywhere', async () => (await snapshots(n)).length === 10)
    const rules = join(work, 'rules.json')
    await writeFile(rules, JSON.stringify({ rules: [{ prefix: 'snapshots/', retention: { keep: 3 } }] }))

    // Before the rule is set: the dry run of it, and nothing under the rules in force.
    const given = await json<RetentionPlanInfo>(['retention', 'plan', '--rules', rules, '--dir', c.dir])
    expect(given).toMatchObject({ given: true, more: 0, rules: [{ prefix: 'snapshots/', keep: 3, keys: 10, folders: 1, due: 7 }] })
    expect(given.deletes.map(d => d.key).sort()).toEqual(versions(1, 2, 3, 4, 5, 6, 7))
    expect((await json<RetentionPlanInfo>(['retention', 'plan', '--dir', c.dir])).rules).toEqual([])

    expect((await cli(['rules', 'set', rules, '--dir', a.dir])).code).toBe(0)
    for (const n of [b, c]) await until('the rule everywhere', async () => (await n.api<{ rules: unknown[] }>('GET', '/v1/rules')).body.rules.length === 1)
    const plans = await Promise.all([a, b, c].map(async n => await json<RetentionPlanInfo>(['retention', 'plan', '--dir', n.dir])))
    const runner = plans[0].rules[0].runner?.peerId
    for (const p of plans) {
      expect(p.deletes.map(d => d.key).sort()).toEqual(versions(1, 2, 3, 4, 5, 6, 7))
      expect(p.deletes.every(d => d.reasons.join() === 'keep' && d.folder === 'snapshots/app/')).toBe(true)
      expect(p.rules[0]).toMatchObject({ prefix: 'snapshots/', due: 7, candidates: 3, blocked: null, runsHere: true, runner: { peerId: runner } })
    }
    const text = await cli(['retention', 'plan', '--dir', b.dir])
    expect(text.stdout).toContain('would delete 7 keys:')
    expect(text.stdout).toMatch(/snapshots\/app\/1 +#10 in snapshots\/app\//)

    const other = [a, b, c].find(n => n.ready?.peerId !== runner) as Node
    const run = await json<RetentionRunInfo>(['retention', 'run', '--dir', other.dir])
    expect(run.deleted.map(d => d.key).sort()).toEqual(versions(1, 2, 3, 4, 5, 6, 7))
    expect(run.skipped).toEqual([])
    for (const n of [a, b, c]) await until('the newest 3 everywhere', async () => (await snapshots(n)).join() === versions(8, 9, 10).join())
    expect((await a.keys()).some(k => k.key === 'other/keep-me')).toBe(true)
    expect((await json<RetentionPlanInfo>(['retention', 'plan', '--dir', runner === a.ready?.peerId ? b.dir : a.dir])).deletes).toEqual([])
  }, 60_000)

  it('the runner keeps the newest 3 by itself as new versions arrive; the other sites stay quiet', async () => {
    const runner = (await json<RetentionPlanInfo>(['retention', 'plan', '--dir', a.dir])).rules[0].runner?.peerId
    const r = [a, b, c].find(n => n.ready?.peerId === runner) as Node
    const others = [a, b, c].filter(n => n !== r)
    r.listen = r.ready?.listen[0]?.replace(/\/p2p\/.*$/, '') ?? r.listen
    await r.stop()
    await writeFile(join(r.dir, 'config.json'), JSON.stringify({ ...QUIET, retentionIntervalMs: 500 }))
    await r.start()
    await until('the runner reconnected', async () => (await r.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length >= 2)
    for (let i = 11; i <= 13; i++) expect((await others[i % 2].publish(`snapshots/app/${i}`, `v${i}`)).status).toBe(201)
    for (const n of [a, b, c]) await until('the newest 3 everywhere', async () => (await snapshots(n)).join() === versions(11, 12, 13).join(), 30_000)
    const stats = async (n: Node): Promise<{ runs: number, deleted: number, lastRun: { trigger: string } | null }> =>
      (await n.api<{ stats: { retention: { runs: number, deleted: number, lastRun: { trigger: string } | null } } }>('GET', '/v1/status')).body.stats.retention
    expect(await stats(r)).toMatchObject({ deleted: 3, lastRun: { trigger: 'automatic' } })
    for (const n of others) expect((await stats(n)).lastRun?.trigger ?? 'none').not.toBe('automatic')
  }, 60_000)
})
