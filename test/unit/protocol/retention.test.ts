// Retention's planner (protocol/retention.ts) and who runs it (protocol/retention-runner.ts): keep per
// folder, maxAge, the two together, ties, the cap, only the rule's own keys, conditional deletes
// that name their version, and a stale view that only ever keeps more.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import { memberKey, rulesKey, type Event, type EventBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import type { Genesis } from '../../../protocol/invite.js'
import { folderOf, planRetention, retentionDeleteBody, retentionMayDelete, type RetentionPlan } from '../../../protocol/retention.js'
import { chooseRetentionRunner, mayRunRetention, rendezvousOrder } from '../../../protocol/retention-runner.js'
import { checkRules, RuleSet, type Rule } from '../../../protocol/rules.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'
import { MemCluster } from '../../helpers/mem-cluster.js'

const DAY = 86_400_000
const NOW = 1_700_000_000_000
const put = (key: string, n = 1): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(n), size: n, props: {} })
let seq = 0
/** A put of `key` by `author`, stamped at wall time `wall` (logical 0 unless given). */
const at = (key: string, wall: number, author = 'w1', logical = 0): Event =>
  signEvent({ v: 1, author, seq: ++seq, stamp: makeStamp(wall, logical), body: put(key) }, fakeSigner(author))
/** A rule set as a person writes it (maxAge: "30d"), checked as a rules event is. */
const set = (...rules: unknown[]): RuleSet => new RuleSet(checkRules(rules))
const keys = (p: RetentionPlan): string[] => p.deletes.map(d => d.key).sort()
/** Versions `folder`1..n, one second apart, the last published `lastAgoMs` before NOW. */
const series = (folder: string, n: number, lastAgoMs = 0, step = 1000): Event[] =>
  Array.from({ length: n }, (_, i) => at(`${folder}${i + 1}`, NOW - lastAgoMs - (n - 1 - i) * step))

describe('retention: the plan', () => {
  it('keeps the newest `keep` versions of each folder, by stamp; each delete names the version it deletes', () => {
    const winners = [...series('snapshots/app/', 10), ...series('snapshots/lib/', 4), ...series('other/', 5)]
    const plan = planRetention(winners, set({ prefix: 'snapshots/', retention: { keep: 3 } }), NOW)
    expect(keys(plan)).toEqual([...[1, 2, 3, 4, 5, 6, 7].map(i => `snapshots/app/${i}`), 'snapshots/lib/1'].sort())
    const d = plan.deletes.find(x => x.key === 'snapshots/app/7')
    expect(d).toMatchObject({ folder: 'snapshots/app/', prefix: 'snapshots/', rank: 4, reasons: ['keep'], ageMs: 3000 })
    expect(d?.version).toEqual(winners[6].id)
    expect(retentionDeleteBody(d!)).toEqual({ kind: 'delete', key: 'snapshots/app/7', ifVersion: winners[6].id })
    expect(plan.rules).toEqual([{ prefix: 'snapshots/', retention: { keep: 3 }, deletes: 'allow', keys: 14, folders: 2, due: 8, blocked: false }])
    expect(plan.deletes.map(x => x.key).slice(0, 2)).toEqual(['snapshots/app/1', 'snapshots/app/2']) // oldest first
  })

  it('orders versions by stamp, not by name; a tie of stamps goes to the greater key', () => {
    const v9 = at('r/app-9', NOW)
    const v10 = at('r/app-10', NOW - 5000) // published before 9: it is the older
    expect(keys(planRetention([v9, v10], set({ prefix: 'r/', retention: { keep: 1 } }), NOW))).toEqual(['r/app-10'])
    const a = at('r/a', NOW, 'w1')
    const b = at('r/b', NOW, 'w2') // same stamp, another author
    expect(keys(planRetention([a, b], set({ prefix: 'r/', retention: { keep: 1 } }), NOW))).toEqual(['r/a'])
    expect(keys(planRetention([b, a], set({ prefix: 'r/', retention: { keep: 1 } }), NOW))).toEqual(['r/a'])
  })

  it('maxAge alone deletes what is older than it, judged by the stamp\'s wall time; a stamp ahead of the clock is young', () => {
    const old = at('logs/a', NOW - 31 * DAY)
    const edge = at('logs/b', NOW - 30 * DAY) // exactly maxAge old: kept
    const young = at('logs/c', NOW - DAY)
    const ahead = at('logs/d', NOW + DAY)
    const plan = planRetention([old, edge, young, ahead], set({ prefix: 'logs/', retention: { maxAge: '30d' } }), NOW)
    expect(keys(plan)).toEqual(['logs/a'])
    expect(plan.deletes[0]).toMatchObject({ reasons: ['maxAge'], ageMs: 31 * DAY })
  })

  it('keep and maxAge together: a version goes only if neither keeps it (the newest keep stay however old, the young stay however many)', () => {
    const rule = set({ prefix: 's/', retention: { keep: 2, maxAge: '7d' } })
    const stale = series('s/stale/', 5, 60 * DAY) // nothing published for two months: keeps its newest 2
    const busy = series('s/busy/', 6, 0) // six in the last week: all kept
    const mixed = [...series('s/mixed/', 3, 30 * DAY), ...series('s/mixed/new-', 1, 0)] // 1 young + 3 old
    const plan = planRetention([...stale, ...busy, ...mixed], rule, NOW)
    expect(keys(plan)).toEqual(['s/mixed/1', 's/mixed/2', 's/stale/1', 's/stale/2', 's/stale/3'])
    expect(plan.deletes.every(d => d.reasons.join() === 'keep,maxAge')).toBe(true)
    expect(plan.deletes.find(d => d.key === 's/mixed/2')?.rank).toBe(3)
  })

  it('touches only the keys whose longest-prefix rule is the retention rule; tombstones are no versions', () => {
    const rules = set({ prefix: 'snap/', retention: { keep: 1 } }, { prefix: 'snap/pinned/', immutable: true })
    const tomb = signEvent({ v: 1, author: 'w1', seq: ++seq, stamp: makeStamp(NOW, 0), body: { kind: 'delete', key: 'snap/x/3' } }, fakeSigner('w1'))
    const winners = [...series('snap/x/', 2), ...series('snap/pinned/', 3), ...series('snapshots/', 3), tomb]
    const plan = planRetention(winners, rules, NOW)
    expect(keys(plan)).toEqual(['snap/x/1'])
    expect(plan.rules).toEqual([expect.objectContaining({ prefix: 'snap/', keys: 2, folders: 1, due: 1 })])
  })

  it('a folder is never shorter than the rule\'s prefix', () => {
    expect(folderOf('snapshots/app/1', 'snapshots/')).toBe('snapshots/app/')
    expect(folderOf('releases/app-1.0', 'releases/app-')).toBe('releases/app-')
    expect(folderOf('top', '')).toBe('')
  })

  it('`only` narrows the deletes, not the folders they are ranked in', () => {
    const winners = series('s/app/', 12)
    const plan = planRetention(winners, set({ prefix: 's/', retention: { keep: 3 } }), NOW, { only: 's/app/1' })
    // s/app/1, s/app/10, s/app/11, s/app/12 start with it; of them only s/app/1 is beyond the newest 3.
    expect(keys(plan)).toEqual(['s/app/1'])
  })

  it('is capped: the oldest go first, `more` counts the rest, and the next run continues', () => {
    let winners = series('s/', 30)
    const rules = set({ prefix: 's/', retention: { keep: 5 } })
    const first = planRetention(winners, rules, NOW, { maxDeletes: 10 })
    expect(keys(first)).toEqual(Array.from({ length: 10 }, (_, i) => `s/${i + 1}`).sort())
    expect(first.more).toBe(15)
    const gone = new Set(keys(first))
    winners = winners.filter(e => !gone.has(e.body.key))
    const second = planRetention(winners, rules, NOW, { maxDeletes: 10 })
    expect(second.deletes[0]?.key).toBe('s/11')
    expect(second.more).toBe(5)
  })

  it('a rule that refuses deletes lists nothing to delete, but says what is due', () => {
    const plan = planRetention(series('m/', 4), set({ prefix: 'm/', deletes: 'refuse', retention: { keep: 1 } }), NOW)
    expect(plan.deletes).toEqual([])
    expect(plan.rules[0]).toMatchObject({ blocked: true, due: 3, deletes: 'refuse' })
  })

  it('retentionMayDelete: the planner\'s deletes pass, from any view; a delete of a version it keeps does not', () => {
    const rules = set({ prefix: 's/', retention: { keep: 3, maxAge: '1d' } })
    const history = series('s/app/', 8, 2 * DAY)
    const deleteAt = makeStamp(NOW, 5)
    const planned = planRetention(history, rules, NOW).deletes
    expect(planned).toHaveLength(5)
    for (const d of planned) expect(retentionMayDelete(history.find(e => e.body.key === d.key)!, deleteAt, rules, history)).toBe(true)
    expect(retentionMayDelete(history[5], deleteAt, rules, history)).toBe(false) // #3: kept by count
    expect(retentionMayDelete(history[0], makeStamp(NOW - 2 * DAY, 9), rules, history)).toBe(false) // not yet older than a day
    expect(retentionMayDelete(history[0], makeStamp(NOW - DAY, 0), rules, history.slice(0, 3))).toBe(false) // newer ones not written yet
    const young = series('y/', 5)
    expect(retentionMayDelete(young[0], deleteAt, set({ prefix: 'y/', retention: { keep: 1 }, deletes: 'refuse' }), young)).toBe(false)
  })

  it('a stale view (some versions missing) deletes only what the full view deletes: it keeps more', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), { minLength: 1, maxLength: 30 }),
      fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }),
      fc.integer({ min: 1, max: 5 }),
      fc.option(fc.integer({ min: 1, max: 40 })),
      (specs, held, keep, maxAgeDays) => {
        const all = specs.map(([folder, daysAgo], i) => at(`p/${folder}/${i}`, NOW - daysAgo * DAY))
        const rules = set({ prefix: 'p/', retention: maxAgeDays === null ? { keep } : { keep, maxAgeMs: maxAgeDays * DAY } })
        const full = new Set(keys(planRetention(all, rules, NOW)))
        const stale = planRetention(all.filter((_, i) => held[i]), rules, NOW)
        for (const k of keys(stale)) expect(full.has(k)).toBe(true)
        for (const d of stale.deletes) expect(retentionMayDelete(all.find(e => e.body.key === d.key) as Event, makeStamp(NOW, 1), rules, all)).toBe(true)
      }
    ))
  })
})

describe('retention: replicas', () => {
  const genesis: Genesis = { founder: 'n0', nonce: new Uint8Array(16).fill(7) }
  const hex16 = (n: number): string => n.toString(16).padStart(32, '0')

  async function federation (rules: Rule[]): Promise<MemCluster> {
    const c = new MemCluster(3, 1, { genesis })
    c.connectAll()
    for (let i = 1; i < 3; i++) await c.write(0, { kind: 'member', key: memberKey(`n${i}`, hex16(100 + i)), peer: `n${i}`, role: 'writer' })
    await c.write(0, { kind: 'rules', key: rulesKey(hex16(1)), rules: checkRules(rules) })
    await c.converge()
    return c
  }

  it('every replica plans the same deletes; carried out at one, every replica keeps the newest 3', async () => {
    const c = await federation([{ prefix: 'snapshots/', retention: { keep: 3 } }])
    for (let i = 1; i <= 10; i++) { await c.write(1 + (i % 2), put(`snapshots/app/${i}`, i)); c.now += 1000 }
    await c.converge()
    const plans = c.replicas.map(r => planRetention(r.live(), r.rules().set, c.now))
    for (const p of plans) expect(p.deletes.map(d => d.key)).toEqual(plans[0].deletes.map(d => d.key))
    expect(plans[0].deletes).toHaveLength(7)
    for (const d of plans[2].deletes) await c.write(2, retentionDeleteBody(d))
    await c.converge()
    for (const r of c.replicas) expect(r.live('snapshots/').map(e => e.body.key)).toEqual(['snapshots/app/10', 'snapshots/app/8', 'snapshots/app/9'])
  })

  it('a delete planned against one version never removes a version published concurrently', async () => {
    const c = await federation([{ prefix: 's/', retention: { keep: 1 } }])
    await c.write(1, put('s/a', 1)); c.now += 1000
    await c.write(1, put('s/b', 2))
    await c.converge()
    const plan = planRetention(c.replicas[2].live(), c.replicas[2].rules().set, c.now)
    expect(plan.deletes.map(d => d.key)).toEqual(['s/a'])
    // n1 republishes s/a while n2, which has not seen it, carries out its plan.
    c.replicas[1].peerDown('n2'); c.replicas[2].peerDown('n1')
    const republished = await c.write(1, put('s/a', 3))
    c.now += 5
    await c.write(2, retentionDeleteBody(plan.deletes[0]))
    c.replicas[1].peerUp('n2'); c.replicas[2].peerUp('n1')
    await c.converge()
    for (const r of c.replicas) expect(r.get('s/a')?.id).toEqual(republished.id)
  })
})

describe('retention: who runs it', () => {
  const peers = ['p1', 'p2', 'p3', 'p4', 'p5']

  it('rendezvous order: the same whatever the input order, its own per prefix', () => {
    const order = rendezvousOrder('snapshots/', peers)
    expect(rendezvousOrder('snapshots/', [...peers].reverse())).toEqual(order)
    expect([...order].sort()).toEqual(peers)
    const firsts = new Set(['a/', 'b/', 'c/', 'd/', 'e/', 'f/', 'g/', 'h/'].map(p => rendezvousOrder(p, peers)[0]))
    expect(firsts.size).toBeGreaterThan(1) // the work spreads
    // A member leaving changes nothing for the rules it did not run.
    const without = rendezvousOrder('snapshots/', peers.filter(p => p !== order[2]))
    expect(without).toEqual(order.filter(p => p !== order[2]))
  })

  it('the candidates are the roles the delete policy lets delete; the runner is the first believed up', () => {
    expect([mayRunRetention('allow', 'writer'), mayRunRetention('allow', 'admin'), mayRunRetention('allow', 'reader'), mayRunRetention('allow', undefined)]).toEqual([true, true, false, false])
    expect([mayRunRetention('admin', 'writer'), mayRunRetention('admin', 'admin')]).toEqual([false, true])
    expect(mayRunRetention('refuse', 'admin')).toBe(false)
    const members = [{ peer: 'p1', role: 'admin' as const }, { peer: 'p2', role: 'writer' as const }, { peer: 'p3', role: 'writer' as const }, { peer: 'p4', role: 'reader' as const }, { peer: 'p5' }]
    const all = chooseRetentionRunner('s/', 'allow', members, () => true)
    expect([...all.order].sort()).toEqual(['p1', 'p2', 'p3'])
    expect(all.runner).toBe(all.order[0])
    const firstDown = chooseRetentionRunner('s/', 'allow', members, p => p !== all.order[0])
    expect(firstDown.runner).toBe(all.order[1])
    expect(chooseRetentionRunner('s/', 'admin', members, () => true)).toEqual({ order: ['p1'], runner: 'p1' })
    expect(chooseRetentionRunner('s/', 'refuse', members, () => true)).toEqual({ order: [], runner: undefined })
    expect(chooseRetentionRunner('s/', 'admin', members, p => p !== 'p1').runner).toBeUndefined()
  })
})
