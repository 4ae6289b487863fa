// The simulator's network: delivery, loss, partitions and their shapes.
import { describe, expect, it } from 'vitest'
import type { SyncMessage } from '../../protocol/messages.js'
import { EventQueue } from '../../sim/event-queue.js'
import { Network, type NetworkKnobs } from '../../sim/network.js'
import { groupsPartition, partitionAllows, planPartition, PARTITION_SHAPES } from '../../sim/partitions.js'
import { Prng } from '../../sim/prng.js'

const BASE: NetworkKnobs = { latencyMs: 100, latencyDist: 'uniform', jitter: 0.2, linkSpread: 0.25, lossRate: 0, duplicateRate: 0, reorderRate: 0, capacityBytesPerSec: 0 }

function net (over: Partial<NetworkKnobs> = {}): { q: EventQueue, n: Network, got: Array<{ from: number, to: number, at: number, m: SyncMessage }> } {
  const q = new EventQueue()
  const got: Array<{ from: number, to: number, at: number, m: SyncMessage }> = []
  const n = new Network({ ...BASE, ...over }, { queue: q, random: new Prng(1), deliver: (from, to, m) => got.push({ from, to, at: q.now(), m }) })
  return { q, n, got }
}

const msg = (i: number): SyncMessage => ({ type: 'vv', vv: [['n0', i]], reply: false })

describe('Network', () => {
  it('delivers within the link latency bounds, in FIFO order per link', () => {
    const { q, n, got } = net()
    for (let i = 0; i < 200; i++) { n.send(0, 1, msg(i), 50); q.runUntil(q.now() + 1) }
    q.runUntil(10_000)
    expect(got).toHaveLength(200)
    expect(got.map(g => (g.m as { vv: [string, number][] }).vv[0]?.[1])).toEqual(Array.from({ length: 200 }, (_, i) => i))
    for (const [i, g] of got.entries()) {
      const delay = g.at - i
      // links ±25 %, jitter ±20 %, FIFO can only add delay
      expect(delay).toBeGreaterThanOrEqual(100 * 0.75 * 0.8 - 1)
    }
  })

  it('reordering lets messages overtake', () => {
    const { q, n, got } = net({ reorderRate: 1, jitter: 0.9 })
    for (let i = 0; i < 100; i++) n.send(0, 1, msg(i), 50)
    q.runUntil(10_000)
    const order = got.map(g => (g.m as { vv: [string, number][] }).vv[0]?.[1])
    expect(order).not.toEqual([...order].sort((a, b) => (a ?? 0) - (b ?? 0)))
  })

  it('loss and duplication happen at about their rates', () => {
    const { q, n, got } = net({ lossRate: 0.1, duplicateRate: 0.1 })
    for (let i = 0; i < 10_000; i++) n.send(0, 1, msg(i), 50)
    q.runUntil(100_000)
    expect(n.counters.lost).toBeGreaterThan(800)
    expect(n.counters.lost).toBeLessThan(1200)
    expect(n.counters.duplicated).toBeGreaterThan(700)
    expect(got.length).toBe(10_000 - n.counters.lost + n.counters.duplicated)
  })

  it('capacity serialises a link: 10 × 10 KB at 100 KB/s take a second', () => {
    const { q, n, got } = net({ capacityBytesPerSec: 100_000, latencyDist: 'constant', linkSpread: 0, latencyMs: 10 })
    for (let i = 0; i < 10; i++) n.send(0, 1, msg(i), 10_000)
    q.runUntil(10_000)
    expect(got.at(-1)?.at).toBeCloseTo(1010, 0)
  })

  it('a partition drops packets, including those already in flight; heal restores', () => {
    const { q, n, got } = net()
    n.send(0, 1, msg(1), 50)
    n.setPartition(groupsPartition(3, [[0]]))
    q.runUntil(1000)
    expect(got).toHaveLength(0)
    expect(n.connected(0, 1)).toBe(false)
    expect(n.connected(1, 2)).toBe(true)
    n.healAll()
    n.send(0, 1, msg(2), 50)
    q.runUntil(2000)
    expect(got).toHaveLength(1)
  })

  it('a one-way cut drops one direction only and leaves the link "connected"', () => {
    const { q, n, got } = net()
    n.addOneWayCut([0], [1])
    n.send(0, 1, msg(1), 50)
    n.send(1, 0, msg(2), 50)
    q.runUntil(1000)
    expect(got.map(g => g.from)).toEqual([1])
    expect(n.connected(0, 1)).toBe(true)
  })
})

describe('partition shapes', () => {
  const N = 9
  const reach = (shape: typeof PARTITION_SHAPES[number]) => {
    const p = planPartition(shape, N, new Prng(3))
    return { p, sees: (a: number) => Array.from({ length: N }, (_, b) => b).filter(b => partitionAllows(p, a, b)) }
  }

  it('halves: two groups of ⌊N/2⌋ and ⌈N/2⌉ that cannot talk', () => {
    const { sees } = reach('halves')
    const sizes = new Set(Array.from({ length: N }, (_, a) => sees(a).length))
    expect([...sizes].sort()).toEqual([4, 5])
  })

  it('isolate: one node alone', () => {
    const { sees } = reach('isolate')
    expect(Array.from({ length: N }, (_, a) => sees(a).length).filter(s => s === 1)).toHaveLength(1)
  })

  it('minority: fewer than half cut off', () => {
    const { sees } = reach('minority')
    const sizes = Array.from({ length: N }, (_, a) => sees(a).length)
    expect(Math.min(...sizes)).toBeLessThan(N / 2)
    expect(Math.max(...sizes)).toBeGreaterThan(N / 2)
  })

  it('ring: every node sees a majority, no two see the same set', () => {
    const { sees } = reach('ring')
    const sets = Array.from({ length: N }, (_, a) => sees(a).join(','))
    for (let a = 0; a < N; a++) expect(sees(a).length).toBeGreaterThan(N / 2)
    expect(new Set(sets).size).toBe(N)
  })

  it('bridge: two halves that meet only through the bridge node', () => {
    const { p, sees } = reach('bridge')
    const bridge = p.bridge as number
    expect(sees(bridge)).toHaveLength(N)
    const others = Array.from({ length: N }, (_, a) => a).filter(a => a !== bridge)
    for (const a of others) expect(sees(a).length).toBeLessThan(N)
    const sides = new Set(others.map(a => sees(a).join(',')))
    expect(sides.size).toBe(2)
  })
})
