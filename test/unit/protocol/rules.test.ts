// Artifact rules in the core: the rules event (admins only), immutable keys (first create wins,
// everywhere, whatever the arrival order), delete policies, conditional deletes, and the local
// refusals a site makes before it signs anything.
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import { memberKey, rulesKey, type Event, type EventBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import type { Genesis } from '../../../protocol/invite.js'
import { foldWinner } from '../../../protocol/rule-fold.js'
import { checkRules, RuleSet, type Rule } from '../../../protocol/rules.js'
import { compareVersions } from '../../../protocol/state.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'
import { MemCluster } from '../../helpers/mem-cluster.js'

const genesis: Genesis = { founder: 'n0', nonce: new Uint8Array(16).fill(7) }
const hex16 = (n: number): string => n.toString(16).padStart(32, '0')
const put = (key: string, n = 1): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(n), size: n, props: {} })
const rules = (n: number, list: Rule[]): EventBody => ({ kind: 'rules', key: rulesKey(hex16(n)), rules: list })
const ev = (author: string, seq: number, wall: number, body: EventBody): Event => signEvent({ v: 1, author, seq, stamp: makeStamp(wall, 0), body }, fakeSigner(author))
const digestOf = (e: Event | undefined): number | undefined => e?.body.kind === 'put' ? e.body.digest[0] : undefined

/** n0 admin, n1 and n2 writers, n3 reader; rules set by n0. */
async function federation (list: Rule[], seed = 1): Promise<MemCluster> {
  const c = new MemCluster(4, seed, { genesis })
  c.connectAll()
  for (let i = 1; i < 4; i++) await c.write(0, { kind: 'member', key: memberKey(`n${i}`, hex16(100 + i)), peer: `n${i}`, role: i === 3 ? 'reader' : 'writer' })
  await c.write(0, rules(1, list))
  await c.converge()
  return c
}

describe('rules: the rule language', () => {
  it('checks rules and says which field is wrong', () => {
    expect(checkRules([{ prefix: 'releases/', immutable: true, replicas: 2, retention: { keep: 3, maxAge: '30d' } }])).toEqual([
      { prefix: 'releases/', immutable: true, replicas: 2, retention: { keep: 3, maxAgeMs: 30 * 86_400_000 } }
    ])
    expect(() => checkRules({})).toThrow(/must be a list/)
    expect(() => checkRules([{ prefix: 'a/', replicas: 0 }])).toThrow(/rules\[0\]\.replicas must be an integer from 1/)
    expect(() => checkRules([{ prefix: 'a/', immutable: 'yes' }])).toThrow(/immutable must be true or false/)
    expect(() => checkRules([{ prefix: 'a/', deletes: 'never' }])).toThrow(/deletes must be one of allow, admin, refuse/)
    expect(() => checkRules([{ prefix: 'a/', retention: {} }])).toThrow(/needs keep, maxAge or both/)
    expect(() => checkRules([{ prefix: 'a/', colour: 1 }])).toThrow(/unknown field "colour"/)
    expect(() => checkRules([{ prefix: 'a/' }, { prefix: 'a/' }])).toThrow(/two rules for prefix/)
    expect(() => checkRules([{ prefix: 'mycel:x' }])).toThrow(/system/)
  })

  it('the longest matching prefix decides, as a whole', () => {
    const set = new RuleSet(checkRules([{ prefix: '', replicas: 2 }, { prefix: 'releases/', immutable: true }, { prefix: 'releases/nightly/', retention: { keep: 3 } }]))
    expect(set.ruleFor('x')?.replicas).toBe(2)
    expect(set.ruleFor('releases/app-1.0')?.immutable).toBe(true)
    expect(set.ruleFor('releases/nightly/app')).toEqual({ prefix: 'releases/nightly/', retention: { keep: 3 } })
  })
})

describe('rules: the fold picks the same winner whatever the order', () => {
  const immutable = new RuleSet([{ prefix: 'r/', immutable: true }])
  const ctx = { rulesAt: () => immutable, isAdmin: (a: string) => a === 'admin' }
  const sorted = (...events: Event[]): Event[] => events.sort((a, b) => compareVersions(b, a))

  it('the first create of an immutable key wins; an admin\'s delete frees it for a later create', () => {
    const c1 = ev('w1', 1, 1000, put('r/a', 1))
    const c2 = ev('w2', 1, 2000, put('r/a', 2))
    expect(sorted(c2, c1)[foldWinner(sorted(c2, c1), ctx)]).toBe(c1)
    const writerDelete = ev('w2', 2, 1500, { kind: 'delete', key: 'r/a' })
    const v = sorted(c1, c2, writerDelete)
    expect(v[foldWinner(v, ctx)]).toBe(c1) // a writer's delete counts for nothing here
    const adminDelete = ev('admin', 1, 1500, { kind: 'delete', key: 'r/a' })
    const w = sorted(c1, c2, adminDelete)
    expect(w[foldWinner(w, ctx)]).toBe(c2) // deleted at 1500, created again at 2000
  })

  it('a conditional delete counts only against the version it names', () => {
    const mutable = { rulesAt: () => RuleSet.EMPTY, isAdmin: () => false }
    const p1 = ev('w1', 1, 1000, put('k', 1))
    const p2 = ev('w2', 1, 1800, put('k', 2)) // published while retention ran
    const d = ev('w3', 1, 2000, { kind: 'delete', key: 'k', ifVersion: p1.id })
    const v = sorted(p1, p2, d)
    expect(v[foldWinner(v, mutable)]).toBe(p2)
    const alone = sorted(p1, d)
    expect(alone[foldWinner(alone, mutable)]).toBe(d)
  })
})

describe('rules: replicas enforce them', () => {
  it('only an admin may set rules: a writer is refused locally, and on the wire', async () => {
    const c = await federation([])
    expect(() => c.replicas[1].write(rules(2, [{ prefix: '', immutable: true }]))).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED' }))
    const forged = ev('n1', 1, c.now, rules(3, [{ prefix: '', immutable: true }]))
    c.replicas[2].receive('n1', { type: 'push', events: [forged], ttl: 1 })
    expect(c.replicas[2].rules().set.rules).toEqual([])
  })

  it('refuses locally a put of other bytes over an immutable key (CONFLICT, naming the digest held); the same bytes are a no-op', async () => {
    const c = await federation([{ prefix: 'releases/', immutable: true }])
    const first = await c.write(1, put('releases/app-1.0', 1))
    await c.converge()
    expect(() => c.replicas[2].write(put('releases/app-1.0', 2))).toThrow(expect.objectContaining({ code: 'CONFLICT', message: expect.stringContaining(`sha256:${'01'.repeat(32)}`) }))
    expect(c.replicas[2].write(put('releases/app-1.0', 1))).toBe(c.replicas[2].get('releases/app-1.0'))
    expect(c.replicas[2].get('releases/app-1.0')?.author).toBe(first.author)
    // Mutable keys are untouched by the rule.
    expect(c.replicas[2].write(put('other', 2)).author).toBe('n2')
  })

  it('concurrent creates of an immutable key: the first stamped wins everywhere, in any delivery order, and a writer cannot overwrite it by force', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = await federation([{ prefix: 'releases/', immutable: true }], seed)
      c.replicas[1].peerDown('n2'); c.replicas[2].peerDown('n1')
      const a = c.replicas[1].write(put('releases/x', 1))
      c.now += 5
      c.replicas[2].write(put('releases/x', 2))
      await c.converge()
      for (const r of c.replicas) expect(r.get('releases/x')?.id).toEqual(a.id)
      // A writer that skips the local check: its later put loses everywhere.
      const forced = ev('n2', 99, c.now + 10, put('releases/x', 3))
      for (const r of c.replicas) r.receive('n2', { type: 'push', events: [forced], ttl: 0 })
      for (const r of c.replicas) expect(digestOf(r.get('releases/x'))).toBe(1)
    }
  })

  it('deletes under a rule need the role it names: a writer is refused, an admin may', async () => {
    const c = await federation([{ prefix: 'releases/', immutable: true }, { prefix: 'models/', deletes: 'refuse' }])
    await c.write(1, put('releases/a', 1))
    await c.write(1, put('models/m', 1))
    await c.converge()
    expect(() => c.replicas[1].write({ kind: 'delete', key: 'releases/a' })).toThrow(/only an admin may delete/)
    expect(() => c.replicas[0].write({ kind: 'delete', key: 'models/m' })).toThrow(/refuses deletes/)
    await c.write(0, { kind: 'delete', key: 'releases/a' })
    await c.converge()
    for (const r of c.replicas) expect(r.get('releases/a')?.body.kind).toBe('delete')
  })

  it('a longer prefix without a constraint frees its keys from an immutable parent: last writer wins there', async () => {
    const c = await federation([{ prefix: 'r/', immutable: true }, { prefix: 'r/free/' }])
    await c.write(1, put('r/free/x', 1))
    await c.converge()
    await c.write(2, put('r/free/x', 2))
    await c.converge()
    for (const r of c.replicas) expect(digestOf(r.get('r/free/x'))).toBe(2)
    expect(() => c.replicas[2].write(put('r/y', 1))).not.toThrow()
    await c.converge()
    expect(() => c.replicas[1].write(put('r/y', 2))).toThrow(expect.objectContaining({ code: 'CONFLICT' }))
  })

  it('rules judge each version by the rules of its time: a prefix made immutable keeps what it holds', async () => {
    const c = await federation([])
    await c.write(1, put('snap/a', 1))
    await c.write(2, put('snap/a', 2))
    await c.converge()
    await c.write(0, rules(5, [{ prefix: 'snap/', immutable: true }]))
    await c.converge()
    for (const r of c.replicas) expect(digestOf(r.get('snap/a'))).toBe(2) // the last write before the rule stands
    expect(() => c.replicas[1].write(put('snap/a', 3))).toThrow(expect.objectContaining({ code: 'CONFLICT' }))
  })
})
