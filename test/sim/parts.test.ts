// The simulator's virtual disk (with retained versions) and node clocks.
import { describe, expect, it } from 'vitest'
import { encodeMessage } from '../../protocol/codec.js'
import type { Event } from '../../protocol/event.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { Replica } from '../../protocol/replica.js'
import { NodeClock } from '../../sim/clock.js'
import { VirtualDisk } from '../../sim/disk.js'
import { formatMs } from '../../sim/duration.js'
import { parseDurationMs } from '../../protocol/duration.js'
import { resolveOptions } from '../../sim/knobs.js'
import { EPOCH_MS } from '../../sim/limits.js'
import { messageSize } from '../../sim/message-size.js'
import { buildKnobs } from '../../sim/scenarios.js'
import { cluster, settle } from './harness.js'

const e = (author: string, seq: number, key: string): Event => ({ author, seq, body: { kind: 'delete', key } } as unknown as Event)

describe('VirtualDisk', () => {
  it('only flushed batches survive a crash; removes and vv apply in order', () => {
    const d = new VirtualDisk()
    d.write({ n: 1, put: [e('a', 1, 'x'), e('a', 2, 'y')], remove: [], winners: [], vv: [['a', 2]], highWater: 5n })
    d.write({ n: 2, put: [e('b', 1, 'x')], remove: [{ author: 'a', seq: 1, key: 'x' }], winners: [], vv: [['b', 1]], highWater: 7n })
    d.write({ n: 3, put: [e('a', 3, 'z')], remove: [], winners: [], vv: [['a', 3]], highWater: 9n })
    expect(d.flushThrough(2)).toBe(2)
    expect(d.crash()).toBe(1)
    const s = d.snapshot()
    expect(s.events.map(x => `${x.author}:${x.seq}`).sort()).toEqual(['a:2', 'b:1'])
    expect(s.vv).toEqual([['a', 2], ['b', 1]])
    expect(s.highWater).toBe(7n)
    expect(d.durableSeq('a')).toBe(2)
  })
})

describe('VirtualDisk with several versions of one key (a federation retains them)', () => {
  it('removes exactly the version named, keeps the others, and a re-put replaces rather than duplicates', () => {
    const d = new VirtualDisk()
    d.write({ n: 1, put: [e('a', 1, 'k'), e('b', 1, 'k'), e('c', 1, 'k')], remove: [], winners: [], vv: [], highWater: 1n })
    d.write({ n: 2, put: [e('b', 1, 'k')], remove: [{ author: 'a', seq: 1, key: 'k' }, { author: 'z', seq: 9, key: 'k' }], winners: [], vv: [], highWater: 2n })
    d.flushThrough(2)
    expect(d.snapshot().events.map(x => `${x.author}:${x.seq}`).sort()).toEqual(['b:1', 'c:1'])
    expect(d.eventCount()).toBe(2)
    d.write({ n: 3, put: [], remove: [{ author: 'b', seq: 1, key: 'k' }, { author: 'c', seq: 1, key: 'k' }], winners: [], vv: [], highWater: 3n })
    d.flushThrough(3)
    expect(d.eventCount()).toBe(0)
  })
})

describe('NodeClock', () => {
  it('adds skew, jumps and drift to true time; monotonic time stays true', () => {
    let t = 0
    const c = new NodeClock(() => t)
    c.set(500)
    c.drift(1000) // 1 ms per second
    t = 10_000
    expect(c.nowMs()).toBe(EPOCH_MS + 10_000 + 500 + 10)
    c.jump(-2000)
    expect(c.errorMs()).toBe(500 + 10 - 2000)
    expect(c.monoMs()).toBe(10_000)
  })
})

describe('durations and options', () => {
  it('parses and formats durations', () => {
    expect(parseDurationMs('100ms')).toBe(100)
    expect(parseDurationMs('20s')).toBe(20_000)
    expect(parseDurationMs('1.5s')).toBe(1500)
    expect(parseDurationMs('2m')).toBe(120_000)
    expect(parseDurationMs('250')).toBe(250_000) // bare numbers are seconds, for the simulator's flags too
    expect(() => parseDurationMs('soon')).toThrow(/must be a duration/)
    expect(formatMs(1500)).toBe('1.50s')
  })

  it('any two of writes, rate and duration fix the third', () => {
    expect(resolveOptions({ seed: 1, writes: 10_000 })).toMatchObject({ writes: 10_000, durationMs: 10_000, ratePerSec: 1000 })
    expect(resolveOptions({ seed: 1, ratePerSec: 100, durationMs: 20_000 })).toMatchObject({ writes: 2000 })
    expect(resolveOptions({ seed: 1, writes: 500, ratePerSec: 50 })).toMatchObject({ durationMs: 10_000 })
    expect(() => resolveOptions({ seed: 1, nodes: 0 })).toThrow(/--nodes/)
    expect(() => resolveOptions({ seed: 1, scenario: 'nope' as 'steady' })).toThrow(/unknown scenario/)
  })

  it('every partition shape is reachable from partition-heal seeds', () => {
    const shapes = new Set<string>()
    for (let seed = 1; seed <= 60; seed++) {
      const k = buildKnobs(resolveOptions({ seed, scenario: 'partition-heal', nodes: 9 }))
      for (const f of k.faults) if (f.kind === 'partition') shapes.add(f.partition.shape)
    }
    expect([...shapes].sort()).toEqual(['bridge', 'halves', 'isolate', 'minority', 'ring'])
  })
})

describe('message size accounting', () => {
  it('the estimate stays within 15 % of codec.encodeMessage over a whole run (it adds framing the codec does not)', () => {
    const sent: SyncMessage[] = []
    const c = cluster(4, {}, {
      createReplica: (init, components, snapshot) => new Replica(init, { ...components, send: (to, m) => { sent.push(m); components.send(to, m) } }, snapshot)
    })
    for (let i = 0; i < 40; i++) { c.put(i % 4, `k${i % 9}`); if (i % 5 === 0) c.del((i + 1) % 4, `k${i % 9}`); c.runFor(25) }
    c.del(0, 'k1')
    c.del(1, 'k2')
    settle(c)
    c.runFor(8000) // tombstone acks ride every fifth anti-entropy round
    const types = new Set(sent.map(m => m.type))
    for (const t of ['acks', 'digest', 'events', 'push', 'vv']) expect(types).toContain(t)
    // Tombstones collected on one node before another make digests differ at equal coverage: reconciliation (fps, ids) runs.
    for (const t of types) expect(['acks', 'digest', 'events', 'push', 'vv', 'fps', 'ids']).toContain(t)
    const estimate = sent.reduce((s, m) => s + messageSize(m), 0)
    const real = sent.reduce((s, m) => s + encodeMessage(m).length, 0)
    expect(Math.abs(estimate - real) / real).toBeLessThan(0.15)
  })
})
