// Retention at a site (daemon/retention/service.ts) over in-memory replicas and virtual time: one
// runner per rule writes the deletes, the others stay quiet; a run on demand behaves the same from
// any writer; a reader is refused; a key republished during a run is skipped, never deleted.
import { describe, expect, it } from 'vitest'
import { memberKey, rulesKey, type EventBody } from '../../../protocol/event.js'
import type { Genesis } from '../../../protocol/invite.js'
import { checkRules } from '../../../protocol/rules.js'
import { Logger } from '../../../daemon/log.js'
import { RetentionService } from '../../../daemon/retention/service.js'
import { MemCluster } from '../../helpers/mem-cluster.js'
import { VirtualTime } from '../../helpers/virtual-time.js'

const genesis: Genesis = { founder: 'n0', nonce: new Uint8Array(16).fill(7) }
const hex16 = (n: number): string => n.toString(16).padStart(32, '0')
const put = (key: string, n = 1): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(n % 256), size: n, props: {} })
const INTERVAL_MS = 60_000

/** n0 admin, n1 and n2 writers, n3 reader; the rules set by n0; `n` versions s/app/1..n published a second apart. */
async function federation (rules: unknown[], n: number): Promise<MemCluster> {
  const c = new MemCluster(4, 1, { genesis })
  c.connectAll()
  for (let i = 1; i < 4; i++) await c.write(0, { kind: 'member', key: memberKey(`n${i}`, hex16(100 + i)), peer: `n${i}`, role: i === 3 ? 'reader' : 'writer' })
  await c.write(0, { kind: 'rules', key: rulesKey(hex16(1)), rules: checkRules(rules) })
  await c.converge()
  for (let i = 1; i <= n; i++) { await c.write(1 + (i % 2), put(`s/app/${i}`, i)); c.now += 1000 }
  await c.converge()
  return c
}

/** A retention service per replica; `up` says which sites every one of them believes up. */
function services (c: MemCluster, time: VirtualTime, up: () => string[], durable: (i: number) => Promise<void> = async () => {}): RetentionService[] {
  return c.replicas.map((replica, i) => new RetentionService({ intervalMs: INTERVAL_MS }, {
    replica: { id: replica.id, get: k => replica.get(k), live: p => replica.live(p), write: b => replica.write(b), lastBatchNumber: () => replica.lastBatchNumber(), rules: () => replica.rules(), members: () => replica.members() },
    durable: async () => { await durable(i) },
    sitesUp: up,
    nameOf: peer => `site-${peer}`,
    clock: { nowMs: () => c.now },
    timers: time,
    log: new Logger({ level: 'error', write: () => {} })
  }))
}

const liveKeys = (c: MemCluster, i: number): string[] => c.replicas[i].live('s/').map(e => e.body.key).sort()
const NEWEST_3 = ['s/app/10', 's/app/8', 's/app/9']

describe('retention at a site', () => {
  it('every site names the same runner and plan; only the runner runs it, once an interval has passed', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 3 } }], 10)
    const time = new VirtualTime()
    const all = services(c, time, () => c.ids())
    const plans = all.map(s => s.plan())
    const runner = plans[0].rules[0].runner?.peerId
    expect(['n0', 'n1', 'n2']).toContain(runner)
    for (const p of plans) {
      expect(p.rules[0]).toMatchObject({ prefix: 's/', keep: 3, maxAgeMs: null, deletes: 'allow', keys: 10, folders: 1, due: 7, candidates: 3, blocked: null, runner: { peerId: runner, name: `site-${runner as string}` } })
      expect(p.deletes.map(d => d.key)).toEqual(plans[0].deletes.map(d => d.key))
    }
    expect(plans[0].deletes.map(d => d.key)).toEqual([1, 2, 3, 4, 5, 6, 7].map(i => `s/app/${i}`))
    expect(plans[3].rules[0].runsHere).toBe(false) // the reader
    for (const s of all) s.start()
    await time.advance(INTERVAL_MS - 1)
    expect(all.map(s => s.stats.runs)).toEqual([0, 0, 0, 0]) // the first run is one interval after start
    await time.advance(1)
    expect(all.map((s, i) => s.stats.runs > 0 ? c.ids()[i] : undefined).filter(x => x !== undefined)).toEqual([runner])
    await c.converge()
    for (let i = 0; i < 4; i++) expect(liveKeys(c, i)).toEqual(NEWEST_3)
    // Each tombstone is the runner's, and names the version it deleted.
    for (let i = 1; i <= 7; i++) expect(c.replicas[3].get(`s/app/${i}`)).toMatchObject({ author: runner, body: { kind: 'delete', ifVersion: expect.any(Uint8Array) } })
    await Promise.all(all.map(async s => { await s.stop() }))
  })

  it('when the runner is down, the next candidate runs it', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 3 } }], 10)
    const time = new VirtualTime()
    const first = services(c, time, () => c.ids())[0].plan().rules[0].runner?.peerId
    const all = services(c, time, () => c.ids().filter(id => id !== first))
    const next = all.find((_, i) => c.ids()[i] !== first)?.plan().rules[0].runner?.peerId
    expect(next).not.toBe(first)
    for (const s of all) s.start()
    await time.advance(INTERVAL_MS)
    expect(all.map((s, i) => s.stats.runs > 0 ? c.ids()[i] : undefined).filter(x => x !== undefined)).toEqual([first, next].sort()) // the downed one believes itself up
    await c.converge()
    expect(liveKeys(c, 3)).toEqual(NEWEST_3)
  })

  it('a runner every site believes up that leaves its deletes undone is taken over: the next candidate after 3 intervals, the one after it later', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 3 } }], 10)
    const time = new VirtualTime()
    const all = services(c, time, () => c.ids())
    const order = all[0].plan().rules[0]
    const runner = c.ids().indexOf(order.runner?.peerId as string)
    // The candidates in order (writers n1, n2 and the admin n0); the runner's service never runs (stuck, or an older daemon).
    for (const [i, s] of all.entries()) if (i !== runner) s.start()
    // The sites' clocks move with the timers (the service judges how long a delete has been due by its clock).
    const intervals = async (n: number): Promise<void> => { for (let k = 0; k < n; k++) { c.now += INTERVAL_MS; await time.advance(INTERVAL_MS); await c.converge() } }
    const ran = (): string[] => all.map((s, i) => s.stats.runs > 0 && s.stats.deleted > 0 ? c.ids()[i] : undefined).filter((x): x is string => x !== undefined)
    await intervals(3)
    expect(ran()).toEqual([]) // the oldest due delete noticed at the first turn, overdue 2 intervals by the third
    await intervals(1)
    const takers = ran()
    expect(takers).toHaveLength(1) // the second candidate, alone
    expect(takers[0]).not.toBe(c.ids()[runner])
    await c.converge()
    for (let i = 0; i < 4; i++) expect(liveKeys(c, i)).toEqual(NEWEST_3)
    // New versions beyond keep: the taker waits as long again for them (it cannot tell a stalled runner
    // from one about to run until they are overdue), and the third candidate, which would wait twice as
    // long, never has to.
    for (let i = 11; i <= 12; i++) { await c.write(1 + (i % 2), put(`s/app/${i}`, i)); c.now += 1000 }
    await c.converge()
    await intervals(8)
    await c.converge()
    expect(ran()).toEqual(takers)
    expect(liveKeys(c, 3)).toEqual(['s/app/10', 's/app/11', 's/app/12'])
    await Promise.all(all.map(async s => { await s.stop() }))
  })

  it('a run on demand from a writer that is not the runner does what the runner would; a reader is refused', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 3 } }], 10)
    const all = services(c, new VirtualTime(), () => c.ids())
    const runner = all[0].plan().rules[0].runner?.peerId
    const other = [1, 2].find(i => c.ids()[i] !== runner) as number
    await expect(all[3].run()).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('reader') })
    const result = await all[other].run()
    expect(result.deleted.map(d => d.key)).toEqual([1, 2, 3, 4, 5, 6, 7].map(i => `s/app/${i}`))
    expect(result.deleted[0]).toMatchObject({ rule: 's/', folder: 's/app/', rank: 10, reasons: ['keep'] })
    await c.converge()
    for (let i = 0; i < 4; i++) expect(liveKeys(c, i)).toEqual(NEWEST_3)
    expect((await all[other].run()).deleted).toEqual([]) // nothing left: a second run changes nothing
  })

  it('under `deletes: admin` only an admin runs it; a writer\'s run is refused, and `refuse` blocks retention', async () => {
    const c = await federation([{ prefix: 's/', deletes: 'admin', retention: { keep: 3 } }, { prefix: 'm/', deletes: 'refuse', retention: { keep: 1 } }], 10)
    await c.write(1, put('m/a', 1)); c.now += 1000
    await c.write(1, put('m/b', 2))
    await c.converge()
    const all = services(c, new VirtualTime(), () => c.ids())
    const plan = all[1].plan()
    expect(plan.rules.find(r => r.prefix === 's/')).toMatchObject({ runner: { peerId: 'n0' }, candidates: 1, runsHere: false, blocked: null })
    expect(plan.rules.find(r => r.prefix === 'm/')).toMatchObject({ runner: null, candidates: 0, due: 1, blocked: expect.stringContaining('refuses deletes') })
    await expect(all[1].run({ only: 's/' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining('only an admin') })
    expect((await all[0].run()).deleted).toHaveLength(7)
    await c.converge()
    expect(liveKeys(c, 2)).toEqual(NEWEST_3)
    expect(c.replicas[2].live('m/')).toHaveLength(2)
  })

  it('a key republished during a run is skipped, not deleted; the rest of the plan goes on', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 1 } }], 150)
    let slices = 0
    const all = services(c, new VirtualTime(), () => c.ids(), async i => {
      // While the first slice becomes durable, s/app/120 (in the second slice) is published again here.
      if (slices++ === 0) c.replicas[i].write(put('s/app/120', 999))
    })
    const result = await all[1].run()
    expect(result.skipped).toEqual([{ key: 's/app/120', reason: 'a newer version was published since the plan' }])
    expect(result.deleted).toHaveLength(148)
    await c.converge()
    expect(liveKeys(c, 0)).toEqual(['s/app/120', 's/app/150'])
  })

  it('a rules change during a run stops it: what was planned under the old rules and not yet written is skipped', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 1 } }], 150)
    let slices = 0
    const all = services(c, new VirtualTime(), () => c.ids(), async () => {
      // While the first slice becomes durable, the admin raises keep to 200: nothing more is due.
      if (slices++ === 0) { await c.write(0, { kind: 'rules', key: rulesKey(hex16(2)), rules: checkRules([{ prefix: 's/', retention: { keep: 200 } }]) }); await c.converge() }
    })
    const result = await all[1].run()
    expect(result.deleted).toHaveLength(100) // the first slice, written before the change
    expect(result.skipped).toHaveLength(49)
    expect(result.skipped[0].reason).toMatch(/rules changed/)
    await c.converge()
    expect(liveKeys(c, 0)).toHaveLength(50)
  })

  it('periodic turns do not pile up behind a slow run', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 3 } }], 10)
    const time = new VirtualTime()
    let release = (): void => {}
    const slowDisk = new Promise<void>(resolve => { release = resolve })
    const all = services(c, time, () => c.ids(), async () => { await slowDisk })
    const runner = c.ids().indexOf(all[0].plan().rules[0].runner?.peerId as string)
    all[runner].start()
    await time.advance(INTERVAL_MS) // the first turn starts, and waits on the disk
    await time.advance(5 * INTERVAL_MS) // five more turns come due meanwhile
    expect(all[runner].stats.runs).toBe(0)
    release()
    await time.settle()
    expect(all[runner].stats).toMatchObject({ runs: 1, deleted: 7 })
    await time.advance(INTERVAL_MS)
    expect(all[runner].stats).toMatchObject({ runs: 2, deleted: 7 }) // one turn, not five queued
    await all[runner].stop()
  })

  it('a dry run of rules not set yet', async () => {
    const c = await federation([], 10)
    const plan = services(c, new VirtualTime(), () => c.ids())[1].plan({ rules: [{ prefix: 's/app/', retention: { keep: 5 } }] })
    expect(plan).toMatchObject({ given: true, more: 0, rules: [{ prefix: 's/app/', due: 5 }] })
    expect(() => services(c, new VirtualTime(), () => c.ids())[1].plan({ rules: [{ prefix: 's/', retention: {} }] })).toThrow(/needs keep, maxAge or both/)
  })
})
