// The checkers must be shown to catch the bugs they are for: each is fed a
// doctored history or state that contains exactly that bug.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../protocol/event.js'
import { makeStamp } from '../../protocol/hlc.js'
import { checkConvergence } from '../../sim/checkers/convergence.js'
import { checkIntegrity } from '../../sim/checkers/integrity.js'
import { checkLostWrites } from '../../sim/checkers/lost-writes.js'
import { OffsetBoundMonitor } from '../../sim/checkers/offset-bound.js'
import { checkResurrection } from '../../sim/checkers/resurrection.js'
import type { NodeView } from '../../sim/checkers/types.js'
import { History, type WriteRecord } from '../../sim/history.js'
import { checkImmutable, ImmutableWatch } from '../../sim/checkers/immutable.js'
import { checkReplicas } from '../../sim/checkers/replicas.js'
import { checkRetention } from '../../sim/checkers/retention.js'
import { RulesLog } from '../../sim/rules-log.js'
import type { Membership } from '../../protocol/membership.js'
import { RuleSet, type Rule } from '../../protocol/rules.js'
import type { RulesBody } from '../../protocol/event.js'

const T0 = 1_767_225_600_000

function ev (author: string, seq: number, key: string, kind: 'put' | 'delete', wall: number): Event {
  const id = new Uint8Array(32)
  id[0] = seq
  id[1] = author.charCodeAt(1)
  const body = kind === 'put' ? { kind, key, digest: new Uint8Array(32), size: 1, props: {} } : { kind, key }
  return { v: 1, author, seq, stamp: makeStamp(wall, 0), body, sig: new Uint8Array(64), bytes: new Uint8Array(100), id } as Event
}

/** A history in which every given event was issued and acknowledged. */
function historyOf (events: Event[]): History {
  const h = new History(4)
  for (const e of events) {
    const r = h.issue({ node: 0, author: e.author, seq: e.seq, id: e.id, key: e.body.key, kind: e.body.kind as 'put' | 'delete', stamp: e.stamp, issuedAtMs: 0, audienceBelow: 4, audience: 4 })
    h.ack(r, 1)
  }
  return h
}

function view (id: string, digest: string, state: Event[]): NodeView {
  const m = new Map(state.map(e => [e.body.key, e]))
  return { id, digest, get: k => m.get(k) }
}

describe('checkers', () => {
  const p1 = ev('n0', 1, 'k', 'put', T0 + 10)
  const p2 = ev('n1', 1, 'k', 'put', T0 + 20)
  const d3 = ev('n2', 1, 'k', 'delete', T0 + 30)
  const p4 = ev('n0', 2, 'k', 'put', T0 + 40)

  it('convergence: equal digests pass; unequal ones are reported with the differing keys', () => {
    expect(checkConvergence([view('n0', 'aa', [p2]), view('n1', 'aa', [p2])])).toEqual([])
    const v = checkConvergence([view('n0', 'aa', [p2]), view('n1', 'aa', [p2]), view('n2', 'bb', [p1])], ['k'])
    expect(v).toHaveLength(1)
    expect(v[0]?.message).toMatch(/2 distinct states/)
    expect(v[0]?.message).toMatch(/k: n0 put n1:1 vs n2 put n0:1/)
    const collected = checkConvergence([view('n0', 'aa', []), view('n1', 'bb', [d3])], ['k'])
    expect(collected[0]?.message).toMatch(/only tombstones differ/)
  })

  it('lost writes: the final value, or anything above it, is fine; an older winner is a loss', () => {
    const h = historyOf([p1, p2])
    expect(checkLostWrites(h.writes, [view('n0', 'x', [p2])])).toEqual([])
    const lost = checkLostWrites(h.writes, [view('n0', 'x', [p1])])
    expect(lost).toHaveLength(1)
    expect(lost[0]).toMatchObject({ check: 'lost-write', key: 'k', node: 'n0' })
  })

  it('lost writes: a missing key is fine only if an issued delete stands above the write', () => {
    expect(checkLostWrites(historyOf([p1, d3]).writes, [view('n0', 'x', [])])).toEqual([])
    const lost = checkLostWrites(historyOf([p1]).writes, [view('n0', 'x', [])])
    expect(lost[0]?.message).toMatch(/missing/)
  })

  it('lost writes: an unacknowledged write (lost in its author\'s crash) is never a loss', () => {
    const h = new History(4)
    const r = h.issue({ node: 0, author: 'n0', seq: 1, id: p1.id, key: 'k', kind: 'put', stamp: p1.stamp, issuedAtMs: 0, audienceBelow: 4, audience: 4 })
    h.lose(r)
    expect(checkLostWrites(h.writes, [view('n0', 'x', [])])).toEqual([])
  })

  it('resurrection: an acknowledged delete undone by an older put is caught; a newer put is not a resurrection', () => {
    const h = historyOf([p1, d3, p4])
    expect(checkResurrection(h.writes, [view('n0', 'x', [p4])])).toEqual([])
    const r = checkResurrection(h.writes, [view('n0', 'x', [p2])])
    expect(r).toHaveLength(1)
    expect(r[0]).toMatchObject({ check: 'resurrection', key: 'k' })
    // …and the same state is not double-counted as a lost write of the delete.
    expect(checkLostWrites(historyOf([p1, d3]).writes, [view('n0', 'x', [p2])]).filter(v => v.message.includes('delete of'))).toEqual([])
  })

  it('offset bound: an event applied from further ahead than the bound is a violation; at the bound it is not', () => {
    const m = new OffsetBoundMonitor(1000, 10)
    const e = ev('n1', 1, 'k', 'put', T0 + 5000)
    m.applied('n0', e, false, T0 + 4000, 0) // exactly at the bound
    m.applied('n0', e, true, T0, 0) // local writes are not judged
    expect(m.report()).toEqual([])
    m.applied('n0', e, false, T0 + 3999, 7)
    expect(m.report()).toHaveLength(1)
    expect(m.report()[0]).toMatchObject({ check: 'offset-bound', node: 'n0', atMs: 7 })
  })

  it('offset-bound: judged to the stamp at the edge, where a double cannot tell stamps apart', () => {
    const m = new OffsetBoundMonitor(1000, 10)
    const at = (wall: number, logical: number): Event => ({ ...ev('n1', 1, 'k', 'put', wall), stamp: makeStamp(wall, logical) })
    m.applied('n0', at(T0 + 5000, 65535), false, T0 + 4000, 0) // the last stamp of the bound's millisecond
    m.applied('n0', at(T0 + 5000, 65535), false, T0 + 4000.9, 0) // physical time counts in whole ms
    m.applied('n0', at(T0 + 5000, 0), false, T0 + 4000, 0)
    expect(m.report()).toEqual([])
    m.applied('n0', at(T0 + 5001, 0), false, T0 + 4000, 1) // the first stamp beyond it
    expect(m.report()).toHaveLength(1)
    const fractional = new OffsetBoundMonitor(1000.5, 10)
    fractional.applied('n0', at(T0 + 5000, 65535), false, T0 + 4000, 0)
    expect(fractional.report()).toEqual([])
    fractional.applied('n0', at(T0 + 5001, 0), false, T0 + 4000, 0)
    expect(fractional.report()).toHaveLength(1)
  })

  it('integrity: a winner nobody issued, or one that differs from what was issued, is caught', () => {
    const h = historyOf([p1])
    expect(checkIntegrity(h, ['k'], [view('n0', 'x', [p1])])).toEqual([])
    expect(checkIntegrity(h, ['k'], [view('n0', 'x', [p2])])[0]?.message).toMatch(/never issued/)
    const forged = { ...p1, stamp: p1.stamp + 1n } as Event
    expect(checkIntegrity(h, ['k'], [view('n0', 'x', [forged])])[0]?.message).toMatch(/differs/)
  })
})

describe('history: write → visible-everywhere latency', () => {
  it('a write is visible at a node once that node holds it or a newer version of its key', () => {
    const h = new History(3)
    const r = h.issue({ node: 0, author: 'n0', seq: 1, id: new Uint8Array(32), key: 'k', kind: 'put', stamp: makeStamp(T0, 0), issuedAtMs: 100, audienceBelow: 3, audience: 3 })
    h.markSeen(r, 0, 100)
    h.ack(r, 105)
    expect(h.backlog()).toBe(1)
    h.observe(1, 'k', r, 150)
    const newer: WriteRecord | Event = ev('n2', 1, 'k', 'put', T0 + 50)
    h.observe(2, 'k', newer, 180)
    expect(r.complete).toBe(true)
    expect(h.backlog()).toBe(0)
    expect(h.latencies([0, 1, 2])).toEqual([80])
  })
})

describe('rules checkers', () => {
  /** A membership view: n0 an admin, every other author a writer, nobody cut off. */
  const members = (ids: string[] = ['n0', 'n1', 'n2']): Membership => ({
    roleOf: (a: string) => (a === 'n0' ? 'admin' : 'writer'),
    authorize: () => ({ ok: true }),
    members: () => ids,
    cutOf: () => undefined
  }) as unknown as Membership
  const put = (author: string, seq: number, key: string, wall: number, byte: number): Event => {
    const e = ev(author, seq, key, 'put', wall)
    return { ...e, body: { kind: 'put', key, digest: new Uint8Array(32).fill(byte), size: 1, props: {} } } as Event
  }
  const del = (author: string, seq: number, key: string, wall: number, ifVersion?: Uint8Array): Event => {
    const e = ev(author, seq, key, 'delete', wall)
    return { ...e, body: { kind: 'delete', key, ...(ifVersion !== undefined ? { ifVersion } : {}) } } as Event
  }
  function logOf (rules: Rule[], events: Event[]): RulesLog {
    const log = new RulesLog()
    const r = ev('n0', 99, 'mycel:rules/1', 'put', T0)
    log.addRules({ ...r, body: { kind: 'rules', key: 'mycel:rules/1', rules } } as Event & { body: RulesBody })
    for (const e of events) log.note(e)
    return log
  }
  const rulesView = (id: string, state: Event[], rules: Rule[] = [], ids?: string[]): NodeView => ({ ...view(id, 'x', state), members: () => members(ids), rules: () => new RuleSet(rules) })

  const IMMUTABLE: Rule[] = [{ prefix: 'rel/', immutable: true }]
  const first = put('n1', 1, 'rel/a', T0 + 10, 1)
  const second = put('n2', 1, 'rel/a', T0 + 20, 2)

  it('immutable: the first create must win, whatever else was written after it', () => {
    const log = logOf(IMMUTABLE, [first, second])
    expect(checkImmutable([rulesView('n0', [first])], log, new Map(), new Set())).toEqual([])
    const v = checkImmutable([rulesView('n0', [second])], log, new Map(), new Set())
    expect(v).toHaveLength(1)
    expect(v[0]?.message).toMatch(/the first create is put .* n1:1/)
    // An admin's delete frees the key: a later create may win.
    const freed = del('n0', 1, 'rel/a', T0 + 15)
    expect(checkImmutable([rulesView('n0', [second])], logOf(IMMUTABLE, [first, freed, second]), new Map(), new Set())).toEqual([])
    // A writer's delete does not.
    expect(checkImmutable([rulesView('n0', [second])], logOf(IMMUTABLE, [first, del('n2', 2, 'rel/a', T0 + 15), second]), new Map(), new Set())).toHaveLength(1)
  })

  it('immutable: a create once acknowledged keeps its digest, Byzantine versions or not', () => {
    const watch = new ImmutableWatch()
    watch.acknowledge('rel/a', first, 'n0', 500)
    const forged = put('n2', 2, 'rel/a', T0 + 5, 9) // backdated below it by a Byzantine member
    const log = logOf(IMMUTABLE, [first, forged])
    expect(checkImmutable([rulesView('n0', [first])], log, watch.acknowledged, new Set(['n2']))).toEqual([])
    const v = checkImmutable([rulesView('n0', [forged])], log, watch.acknowledged, new Set(['n2']))
    expect(v).toHaveLength(1)
    expect(v[0]?.message).toMatch(/was acknowledged as put .* n1:1 @\d+ \(stable at n0 at 500ms\), but n0 ends with put .* n2:2/)
  })

  it('retention: a conditional delete counts only against the version it names', () => {
    const RETAIN: Rule[] = [{ prefix: 'snap/', retention: { keep: 1 } }]
    const v1 = put('n1', 1, 'snap/a/1', T0 + 10, 1)
    const republished = put('n2', 1, 'snap/a/1', T0 + 20, 2)
    const d = del('n0', 1, 'snap/a/1', T0 + 30, v1.id)
    const log = logOf(RETAIN, [v1, republished, d])
    expect(checkRetention([rulesView('n0', [republished])], log, new Set())).toEqual([])
    const v = checkRetention([rulesView('n0', [d])], log, new Set())
    expect(v[0]?.message).toMatch(/though the version before it is not the one it names/)
    // Naming a version never issued below it is caught on any node, Byzantine versions or not.
    const stray = del('n0', 2, 'snap/a/1', T0 + 40, new Uint8Array(32).fill(7))
    expect(checkRetention([rulesView('n0', [stray])], logOf(RETAIN, [v1, stray]), new Set(['n1']))[0]?.message).toMatch(/naming a version never issued below it/)
  })

  it('retention: a key among the newest `keep` of its folder is never removed', () => {
    const RETAIN: Rule[] = [{ prefix: 'snap/', retention: { keep: 1 } }]
    const older = put('n1', 1, 'snap/a/1', T0 + 10, 1)
    const newer = put('n1', 2, 'snap/a/2', T0 + 20, 2)
    const right = del('n0', 1, 'snap/a/1', T0 + 30, older.id)
    expect(checkRetention([rulesView('n0', [right, newer])], logOf(RETAIN, [older, newer, right]), new Set())).toEqual([])
    const wrong = del('n0', 1, 'snap/a/2', T0 + 30, newer.id)
    const v = checkRetention([rulesView('n0', [older, wrong])], logOf(RETAIN, [older, newer, wrong]), new Set())
    expect(v).toHaveLength(1)
    expect(v[0]?.message).toMatch(/removed snap\/a\/2, which is among the newest 1 of snap\/a\//)
  })

  it('replicas: every node places a key alike, on min(N, members) live members', () => {
    const REPLICATE: Rule[] = [{ prefix: 'rep/', replicas: 2 }]
    const p = put('n1', 1, 'rep/x', T0 + 10, 1)
    const live = new Set(['n0', 'n1', 'n2'])
    expect(checkReplicas([rulesView('n0', [p], REPLICATE), rulesView('n1', [p], REPLICATE)], ['rep/x'], live)).toEqual([])
    // A node whose membership view lacks a member may place the key elsewhere.
    const split = checkReplicas([rulesView('n0', [p], REPLICATE, ['n0', 'n1', 'n2']), rulesView('n1', [p], REPLICATE, ['n0'])], ['rep/x'], live)
    expect(split.map(v => v.message)).toEqual([expect.stringMatching(/rep\/x: n0 places it on \[n\d,n\d\], n1 on \[n0\]/)])
    // A member that is not live is chosen last (protocol/placement.ts, demoted): only when fewer than N live members are left, and then every live one holds.
    expect(checkReplicas([rulesView('n0', [p], REPLICATE, ['n0', 'n1', 'n9'])], ['rep/x'], live)).toEqual([])
    expect(checkReplicas([rulesView('n0', [p], REPLICATE, ['n0', 'n9'])], ['rep/x'], live)).toEqual([])
  })
})
