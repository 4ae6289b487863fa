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

describe('LwwState.page', () => {
  const put = (author: string, seq: number, key: string, wall = 1000 + seq): Event =>
    ev(author, seq, wall, 0, { kind: 'put', key, digest: digest(seq % 256), size: seq, props: {} })
  const del = (author: string, seq: number, key: string, wall = 1000 + seq): Event => ev(author, seq, wall, 0, { kind: 'delete', key })
  const keysOf = (p: { events: Event[] }): string[] => p.events.map(e => e.body.key)

  /** Every page of `limit` from the start, following `more` and the last key. */
  function pageAll (s: LwwState, prefix: string, limit: number): string[] {
    const out: string[] = []
    let after: string | undefined
    for (;;) {
      const p = s.page(prefix, after, limit)
      expect(p.events.length).toBeLessThanOrEqual(limit)
      out.push(...keysOf(p))
      if (!p.more) return out
      expect(p.events).toHaveLength(limit)
      after = out[out.length - 1]
    }
  }

  it('pages live puts in key order, within a prefix, from a cursor', () => {
    const s = applyAll(['b/2', 'a', 'b/1', 'c', 'b/10', 'b'].map((k, i) => put('a', i + 1, k)))
    expect(s.page('', undefined, 2)).toMatchObject({ more: true })
    expect(keysOf(s.page('', undefined, 2))).toEqual(['a', 'b'])
    expect(keysOf(s.page('', 'b', 2))).toEqual(['b/1', 'b/10'])
    expect(s.page('b/', 'b/1', 1)).toMatchObject({ more: true })
    expect(s.page('b/', 'b/10', 1)).toMatchObject({ more: false }) // b/2 is the last under b/
    expect(keysOf(s.page('b/', 'b/10', 1))).toEqual(['b/2'])
    expect(s.page('b/', 'b/1', 2)).toMatchObject({ more: false }) // b/10, b/2: nothing after
    expect(s.page('b/', 'b/2', 5)).toEqual({ events: [], more: false })
    expect(pageAll(s, '', 4)).toEqual(['a', 'b', 'b/1', 'b/10', 'b/2', 'c'])
    expect(s.live('b/').map(e => e.body.key)).toEqual(['b/1', 'b/10', 'b/2'])
  })

  it('skips tombstones and system events; more is false when only tombstones follow', () => {
    const s = applyAll([put('a', 1, 'k1'), put('a', 2, 'k2'), put('a', 3, 'k3'), del('a', 4, 'k3'), del('a', 5, 'k2')])
    s.apply(ev('a', 6, 1006, 0, { kind: 'addrs', key: 'mycel:addrs/a', addrs: ['/ip4/127.0.0.1/tcp/1'] }))
    expect(s.get('mycel:addrs/a')).toBeDefined()
    expect(s.page('', undefined, 1)).toMatchObject({ more: false })
    expect(pageAll(s, '', 1)).toEqual(['k1'])
    expect(pageAll(s, 'mycel:', 10)).toEqual([])
    s.apply(put('b', 1, 'k2', 2000)) // a put above the tombstone brings k2 back
    expect(pageAll(s, '', 1)).toEqual(['k1', 'k2'])
  })

  it('a cursor survives writes between pages: new keys after it are read, keys before it are not read again', () => {
    const s = applyAll(Array.from({ length: 10 }, (_, i) => put('a', i + 1, `k${i}`)))
    const first = s.page('', undefined, 4)
    expect(keysOf(first)).toEqual(['k0', 'k1', 'k2', 'k3'])
    s.apply(put('b', 1, 'k05'))  // before the cursor: not in later pages
    s.apply(put('b', 2, 'k35'))  // after it: read next
    s.apply(del('b', 3, 'k4', 5000))
    s.apply(put('b', 4, 'k1', 5000)) // an overwrite behind the cursor
    const rest: string[] = []
    let after = 'k3'
    for (;;) {
      const p = s.page('', after, 3)
      rest.push(...keysOf(p))
      if (!p.more) break
      after = rest[rest.length - 1]
    }
    expect(rest).toEqual(['k35', 'k5', 'k6', 'k7', 'k8', 'k9'])
  })

  it('a key removed with all its versions (collected) leaves the listing, and may come back', () => {
    const s = new LwwState(true)
    const p1 = put('a', 1, 'x')
    const d1 = del('a', 2, 'x')
    for (const e of [put('a', 3, 'w'), p1, d1, put('a', 4, 'y')]) s.apply(e)
    expect(pageAll(s, '', 10)).toEqual(['w', 'y'])
    s.remove(p1)
    s.remove(d1) // the tombstone collected: x is not held at all
    expect(s.get('x')).toBeUndefined()
    expect(pageAll(s, '', 1)).toEqual(['w', 'y'])
    s.apply(put('b', 1, 'x', 9000))
    expect(pageAll(s, '', 1)).toEqual(['w', 'x', 'y'])
  })

  it('property: paging any history with any limit reads exactly the live puts, sorted, once each', () => {
    const keyed = eventsArb.map(events => events.map((e, i) => i % 3 === 0 ? ev(e.author, e.seq + 100, 1000, i, { ...e.body, key: `p/${e.body.key}` }) : e))
    fc.assert(fc.property(keyed, fc.integer({ min: 1, max: 5 }), fc.constantFrom('', 'p/', 'k', 'q'), fc.array(fc.nat(), { maxLength: 5 }), (events, limit, prefix, removals) => {
      const s = new LwwState(true)
      for (const e of events) s.apply(e)
      for (const r of removals) s.remove(events[r % events.length])
      const want = [...s.winners()].filter(e => e.body.kind === 'put' && e.body.key.startsWith(prefix)).map(e => e.body.key).sort()
      expect(pageAll(s, prefix, limit)).toEqual(want)
      expect(s.live(prefix).map(e => e.body.key)).toEqual(want)
    }), { numRuns: 500 })
  })
})
