// The hybrid logical clock.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatStamp, HybridClock, logicalOf, makeStamp, parseStamp, wallOf } from '../../../protocol/hlc.js'

describe('HybridClock', () => {
  it('packs 48 bits of wall time and 16 bits of counter into one ordered stamp', () => {
    const s = makeStamp(1_700_000_000_123, 7)
    expect(wallOf(s)).toBe(1_700_000_000_123)
    expect(logicalOf(s)).toBe(7)
    expect(makeStamp(5, 65535) < makeStamp(6, 0)).toBe(true)
    expect(parseStamp(formatStamp(s))).toBe(s)
    expect(parseStamp('12.x')).toBeUndefined()
  })

  it('stays monotonic when the physical clock jumps backwards', () => {
    let now = 10_000
    const c = new HybridClock({ now: () => now })
    const a = c.tick()
    now = 5_000
    const b = c.tick()
    expect(b > a).toBe(true)
    expect(wallOf(b)).toBe(10_000)
  })

  it('stays monotonic across a restart from the persisted high-water mark', () => {
    let now = 10_000
    const c1 = new HybridClock({ now: () => now })
    c1.tick(); c1.tick()
    const hw = c1.highWater()
    now = 1_000 // the machine came back with a clock far behind
    const c2 = new HybridClock({ now: () => now, highWater: hw })
    expect(c2.tick() > hw).toBe(true)
  })

  it('holds a remote stamp beyond the offset bound instead of jumping to it', () => {
    const now = 1_000_000
    const c = new HybridClock({ now: () => now, maxClockOffsetMs: 500 })
    const before = c.tick()
    expect(c.observe(makeStamp(now + 501, 0))).toBe('ahead')
    expect(c.highWater()).toBe(before)
    expect(c.observe(makeStamp(now + 499, 3))).toBe('ok')
    expect(c.tick() > makeStamp(now + 499, 3)).toBe(true)
  })

  it('borrows a millisecond when the logical counter is full', () => {
    const c = new HybridClock({ now: () => 100, highWater: makeStamp(100, 65535) })
    const s = c.tick()
    expect(wallOf(s)).toBe(101)
    expect(logicalOf(s)).toBe(0)
  })

  it('property: ticks strictly increase, receipts stay below the next tick, the bound is never crossed', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: -5000, max: 5000 }) }),
      fc.record({ kind: fc.constant('recv' as const), dt: fc.integer({ min: -5000, max: 5000 }), ahead: fc.integer({ min: -10_000, max: 10_000 }), logical: fc.integer({ min: 0, max: 65535 }) })
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 60 }), ops => {
      let now = 1_000_000
      const bound = 2000
      const c = new HybridClock({ now: () => now, maxClockOffsetMs: bound })
      let last = c.highWater()
      let mustExceed = last
      for (const o of ops) {
        now = Math.max(0, now + o.dt)
        if (o.kind === 'tick') {
          const s = c.tick()
          if (!(s > last) || !(s > mustExceed)) return false
          last = s
          mustExceed = s
        } else {
          const remote = makeStamp(Math.max(0, now + o.ahead), o.logical)
          const before = c.highWater()
          const r = c.observe(remote)
          if (r === 'ahead') {
            if (wallOf(remote) <= now + bound) return false
            if (c.highWater() !== before) return false // the clock did not jump
          } else {
            if (wallOf(remote) > now + bound) return false
            if (remote > mustExceed) mustExceed = remote
          }
          if (wallOf(c.highWater()) > Math.max(wallOf(before), now + bound)) return false
        }
      }
      return true
    }), { numRuns: 1000 })
  })
})
