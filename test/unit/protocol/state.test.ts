// LwwState: last-writer-wins per key, tombstones, the state digest.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import type { Event, EventBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { compareVersions, LwwState } from '../../../protocol/state.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

const digest = (n: number): Uint8Array => new Uint8Array(32).fill(n)

function ev (author: string, seq: number, wall: number, logical: number, body: EventBody): Event {
  return signEvent({ v: 1, author, seq, stamp: makeStamp(wall, logical), body }, fakeSigner(author))
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

/** Arbitrary histories: events by 3 authors on 4 keys, with colliding stamps on purpose. */
const eventsArb = fc.array(
  fc.record({
    author: fc.constantFrom('a', 'b', 'c'),
    key: fc.constantFrom('k1', 'k2', 'k3', 'k4'),
    wall: fc.integer({ min: 1000, max: 1010 }),
    logical: fc.integer({ min: 0, max: 2 }),
    del: fc.boolean(),
    d: fc.integer({ min: 0, max: 255 })
  }),
  { minLength: 1, maxLength: 30 }
).map(specs => {
  const seqs = new Map<string, number>()
  return specs.map(s => {
    const seq = (seqs.get(s.author) ?? 0) + 1
    seqs.set(s.author, seq)
    const body: EventBody = s.del ? { kind: 'delete', key: s.key } : { kind: 'put', key: s.key, digest: digest(s.d), size: s.d, props: {} }
    return ev(s.author, seq, s.wall, s.logical, body)
  })
})

function applyAll (events: Event[]): LwwState {
  const s = new LwwState()
  for (const e of events) s.apply(e)
  return s
}

describe('LwwState', () => {
  it('keeps the greatest (stamp, author) per key and counts tombstones', () => {
    const s = new LwwState()
    const p1 = ev('a', 1, 1000, 0, { kind: 'put', key: 'k', digest: digest(1), size: 1, props: {} })
    const d1 = ev('b', 1, 1001, 0, { kind: 'delete', key: 'k' })
    const p0 = ev('c', 1, 999, 0, { kind: 'put', key: 'k', digest: digest(2), size: 2, props: {} })
    expect(s.apply(p1).won).toBe(true)
    expect(s.apply(d1).won).toBe(true)
    expect(s.apply(p0).won).toBe(false) // no resurrection by an older put
    expect(s.get('k')).toBe(d1)
    expect(s.counts()).toEqual({ keys: 0, tombstones: 1 })
    expect(s.live()).toEqual([])
  })

  it('breaks a tie on equal stamps by author', () => {
    const a = ev('a', 1, 1000, 0, { kind: 'put', key: 'k', digest: digest(1), size: 1, props: {} })
    const b = ev('b', 1, 1000, 0, { kind: 'put', key: 'k', digest: digest(2), size: 2, props: {} })
    expect(compareVersions(a, b)).toBeLessThan(0)
    expect(applyAll([b, a]).get('k')).toBe(b)
    expect(applyAll([a, b]).get('k')).toBe(b)
  })

  it('lists live keys by prefix, sorted', () => {
    const s = applyAll([
      ev('a', 1, 1000, 0, { kind: 'put', key: 'rel/b', digest: digest(1), size: 1, props: {} }),
      ev('a', 2, 1000, 1, { kind: 'put', key: 'rel/a', digest: digest(1), size: 1, props: {} }),
      ev('a', 3, 1000, 2, { kind: 'put', key: 'other', digest: digest(1), size: 1, props: {} })
    ])
    expect(s.live('rel/').map(e => e.body.key)).toEqual(['rel/a', 'rel/b'])
  })

  it('property: any delivery order with any duplication gives the same state and digest', () => {
    fc.assert(fc.property(eventsArb, fc.array(fc.nat(), { maxLength: 60 }), fc.nat(), (events, dupIdx, seed) => {
      const base = applyAll(events)
      const shuffled = [...events, ...dupIdx.map(i => events[i % events.length])]
      let x = seed
      for (let i = shuffled.length - 1; i > 0; i--) { x = (x * 1103515245 + 12345) >>> 0; const j = x % (i + 1); [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]] }
      const other = applyAll(shuffled)
      if (hex(other.digest()) !== hex(base.digest())) return false
      for (const k of ['k1', 'k2', 'k3', 'k4']) if (other.get(k) !== base.get(k)) return false
      return true
    }), { numRuns: 1000 })
  })

  it('property: associative — merging two halves separately then together equals applying all', () => {
    fc.assert(fc.property(eventsArb, fc.nat(), (events, cut) => {
      const i = cut % (events.length + 1)
      const left = applyAll(events.slice(0, i))
      const right = applyAll(events.slice(i))
      const merged = applyAll([...left.winners(), ...right.winners()])
      return hex(merged.digest()) === hex(applyAll(events).digest())
    }), { numRuns: 1000 })
  })

  it('property: no resurrection and no lost write — each event is the winner or beaten by a higher version', () => {
    fc.assert(fc.property(eventsArb, events => {
      const s = applyAll(events)
      for (const e of events) {
        const w = s.get(e.body.key)
        if (w === undefined) return false
        if (w !== e && compareVersions(w, e) <= 0) return false
        // A tombstone above every put of its key leaves the key deleted.
        if (e.body.kind === 'delete') {
          const higherPut = events.some(p => p.body.key === e.body.key && p.body.kind === 'put' && compareVersions(p, e) > 0)
          if (!higherPut && w.body.kind !== 'delete') return false
        }
      }
      return true
    }), { numRuns: 1000 })
  })
})
