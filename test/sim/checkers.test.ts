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
