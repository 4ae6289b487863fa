// The metrics registry's text format, and the per-peer sync tracker.
import { signAck } from '../../../protocol/acks.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'
import { describe, expect, it } from 'vitest'
import { MetricsRegistry } from '../../../daemon/visibility/metrics.js'
import { clockWarning } from '../../../daemon/visibility/hub.js'
import { SyncTracker } from '../../../daemon/visibility/peer-sync.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { put } from '../../helpers/fake-events.js'

describe('MetricsRegistry', () => {
  it('renders the Prometheus text format: help, type, labels escaped and sorted, histograms cumulative', () => {
    const m = new MetricsRegistry()
    const c = m.counter('x_total', 'Things.\nCounted.')
    c.inc({ b: '2', a: 'q"\\' }, 3)
    const g = m.gauge('y', 'A gauge.')
    m.onCollect(() => { g.set(7) })
    const h = m.histogram('d_seconds', 'Durations.', [1, 0.1])
    h.observe(0.05, { outcome: 'ok' })
    h.observe(0.5, { outcome: 'ok' })
    expect(m.render()).toBe([
      '# HELP x_total Things.\\nCounted.', '# TYPE x_total counter', 'x_total{a="q\\"\\\\",b="2"} 3',
      '# HELP y A gauge.', '# TYPE y gauge', 'y 7',
      '# HELP d_seconds Durations.', '# TYPE d_seconds histogram',
      'd_seconds_bucket{outcome="ok",le="0.1"} 1', 'd_seconds_bucket{outcome="ok",le="1"} 2', 'd_seconds_bucket{outcome="ok",le="+Inf"} 2',
      'd_seconds_sum{outcome="ok"} 0.55', 'd_seconds_count{outcome="ok"} 2', ''
    ].join('\n'))
    expect(() => m.gauge('y', 'again')).toThrow(/defined twice/)
  })
})

describe('SyncTracker', () => {
  function tracker (): { t: SyncTracker, clock: { now: number }, ours: Array<[string, number]> } {
    const clock = { now: 1_000_000 }
    const ours: Array<[string, number]> = []
    const t = new SyncTracker({ selfId: 'me', ourVv: () => ours, ourDigest: () => new Uint8Array([1]), nowMs: () => clock.now })
    return { t, clock, ours }
  }

  it('coverage from direct vv, raised by events, and relayed through acks; unknown otherwise', () => {
    const { t } = tracker()
    expect(t.covers('p', 'A', 1)).toBeUndefined()
    t.note('p', { type: 'vv', vv: [['A', 2]], reply: false })
    expect(t.covers('p', 'A', 2)).toBe(true)
    expect(t.covers('p', 'A', 3)).toBe(false)
    t.note('p', { type: 'events', events: [put('A', 3, 1n << 16n, 'k')], through: [], more: false })
    expect(t.covers('p', 'A', 3)).toBe(true)
    t.note('p', { type: 'acks', acks: [signAck({ member: 'q', seq: 0, stamp: 1n, vv: [['A', 9]] }, fakeSigner('q')), signAck({ member: 'me', seq: 0, stamp: 1n, vv: [['A', 1]] }, fakeSigner('me'))], reply: false })
    expect(t.coverage('q')).toMatchObject({ source: 'relayed' })
    expect(t.covers('q', 'A', 9)).toBe(true)
    expect(t.coverage('me')).toBeUndefined()
  })

  it('lag in events and in time: how long we have held the oldest event the peer lacks', () => {
    const { t, clock, ours } = tracker()
    t.note('p', { type: 'vv', vv: [], reply: false })
    expect(t.lagOf('p')).toEqual({ lag: 0, behind: 0, ahead: 0, lagMs: 0 })
    t.held('A', 1); ours.push(['A', 1])
    clock.now += 1000
    t.held('A', 2); ours[0] = ['A', 2]
    clock.now += 500
    expect(t.lagOf('p')).toEqual({ lag: 2, behind: 0, ahead: 2, lagMs: 1500 })
    t.note('p', { type: 'vv', vv: [['A', 1]], reply: false })
    expect(t.lagOf('p')).toMatchObject({ lag: 1, lagMs: 500 })
    t.note('p', { type: 'vv', vv: [['A', 2]], reply: false })
    expect(t.lagOf('p')).toMatchObject({ lag: 0, lagMs: 0 })
  })

  it('clock offset from pushes of the sender\'s own events: the maximum of recent samples', () => {
    const { t, clock } = tracker()
    expect(t.clockOffsetMs('p')).toBeNull()
    const stampAt = (ms: number): bigint => makeStamp(ms, 0)
    t.note('p', { type: 'push', events: [put('p', 1, stampAt(clock.now + 3000 - 40), 'k')], ttl: 1 })
    t.note('p', { type: 'push', events: [put('p', 2, stampAt(clock.now + 3000 - 5), 'k')], ttl: 1 })
    t.note('p', { type: 'push', events: [put('other', 1, stampAt(clock.now + 50_000), 'k')], ttl: 1 }) // relayed: not a sample
    t.note('p', { type: 'events', events: [put('p', 3, stampAt(clock.now - 99_000), 'k')], through: [], more: false }) // old: not a sample
    expect(t.clockOffsetMs('p')).toBe(2995)
    expect(t.coverage('p')).toBeUndefined() // a sample says nothing about coverage
  })

  it('warns as the offset nears the core\'s bound', () => {
    expect(clockWarning(null, 60_000)).toBeNull()
    expect(clockWarning(29_000, 60_000)).toBeNull()
    expect(clockWarning(31_000, 60_000)).toMatch(/31\.0 s ahead of ours nears the 60\.0 s bound/)
    expect(clockWarning(-61_000, 60_000)).toMatch(/behind ours exceeds/)
  })
})
