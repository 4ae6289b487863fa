// The simulator's PRNG streams and event queue: determinism and ordering.
import { describe, expect, it } from 'vitest'
import { EventQueue } from '../../sim/event-queue.js'
import { Prng } from '../../sim/prng.js'

describe('Prng', () => {
  it('is a pure function of its seed', () => {
    const a = new Prng(42)
    const b = new Prng(42)
    const xs = Array.from({ length: 100 }, () => a.u32())
    expect(Array.from({ length: 100 }, () => b.u32())).toEqual(xs)
    expect(new Prng(43).u32()).not.toBe(xs[0])
  })

  it('float is in [0,1), int in [0,n), and roughly uniform', () => {
    const r = new Prng(1)
    const buckets = new Array(10).fill(0)
    let lo = 1
    let hi = 0
    for (let i = 0; i < 100_000; i++) {
      const f = r.float()
      lo = Math.min(lo, f)
      hi = Math.max(hi, f)
      buckets[r.int(10)]++
    }
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThan(1)
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500)
  })

  it('derived streams are independent of each other and of draw order elsewhere', () => {
    const x1 = Prng.derive(9, 'network').u32()
    const w = Prng.derive(9, 'workload')
    w.u32(); w.u32()
    expect(Prng.derive(9, 'network').u32()).toBe(x1)
    expect(Prng.derive(9, 'workload').u32()).not.toBe(x1)
  })

  it('chance(0) draws nothing, so an off knob never shifts the stream', () => {
    const a = new Prng(3)
    const b = new Prng(3)
    a.chance(0)
    expect(a.u32()).toBe(b.u32())
  })

  it('sample gives k distinct indexes', () => {
    const s = new Prng(5).sample(50, 20)
    expect(new Set(s).size).toBe(20)
    for (const i of s) expect(i >= 0 && i < 50).toBe(true)
  })
})

describe('EventQueue', () => {
  it('runs actions in time order, ties in insertion order, and advances the clock', () => {
    const q = new EventQueue()
    const seen: string[] = []
    q.at(30, () => seen.push('c'))
    q.at(10, () => seen.push('a1'))
    q.at(10, () => seen.push('a2'))
    q.at(20, () => { seen.push('b'); q.after(0, () => seen.push('b+0')) })
    q.runUntil(25)
    expect(seen).toEqual(['a1', 'a2', 'b', 'b+0'])
    expect(q.now()).toBe(25)
    q.runUntil(100)
    expect(seen.at(-1)).toBe('c')
  })

  it('never schedules into the past', () => {
    const q = new EventQueue()
    q.runUntil(50)
    let at = -1
    q.at(10, () => { at = q.now() })
    q.runUntil(60)
    expect(at).toBe(50)
  })

  it('keeps order across many random insertions (heap property), ties in insertion order', () => {
    const q = new EventQueue()
    const r = new Prng(11)
    const ran: Array<[number, number]> = []
    for (let i = 0; i < 5000; i++) { const t = r.int(1000); q.at(t, () => ran.push([t, i])) }
    // Entries added while running interleave with the rest.
    q.at(500, () => { for (let i = 5000; i < 6000; i++) { const t = 500 + r.int(500); q.at(t, () => ran.push([t, i])) } })
    q.runUntil(1000)
    expect(ran.length).toBe(6000)
    expect(ran).toEqual([...ran].sort((a, b) => a[0] - b[0] || a[1] - b[1]))
  })
})
