// The hold queue of future-stamped events (issue #17): bounded in bytes as well as count, the
// heaviest sender gives way when it is full, and stamps beyond the hold horizon are refused outright.
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import type { Event } from '../../../protocol/event.js'
import { HeldEvents } from '../../../protocol/held-events.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { Replica } from '../../../protocol/replica.js'
import type { ReplicaInit } from '../../../protocol/replica-api.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { prng } from '../../helpers/mem-cluster.js'

const NOW = 1_700_000_000_000

function event (author: string, seq: number, aheadMs: number, padBytes = 0): Event {
  const props: Record<string, string> = {}
  for (let i = 0; padBytes > 0 && i * 1000 < padBytes; i++) props[`p${i}`] = 'x'.repeat(Math.min(1000, padBytes - i * 1000))
  return signEvent({ v: 1, author, seq, stamp: makeStamp(NOW + aheadMs, 0), body: { kind: 'put', key: `${author}/${seq}`, digest: new Uint8Array(32), size: 1, props } }, fakeSigner(author))
}

describe('HeldEvents', () => {
  it('sheds the last event of the sender holding the most bytes, and refuses that sender\'s own new ones', () => {
    const size = event('m', 1, 0).bytes.length
    const held = new HeldEvents({ maxEvents: 100, maxBytes: size * 4 })
    for (let seq = 1; seq <= 4; seq++) expect(held.hold(event('m', seq, 0), 'mallory').held).toBe(true)
    // Full: mallory's fifth is refused, nothing of its own is shed for it.
    expect(held.hold(event('m', 5, 0), 'mallory')).toEqual({ held: false, shed: [] })
    // An honest sender's event pushes out mallory's last one.
    const honest = held.hold(event('h', 1, 0), 'honest')
    expect(honest.held).toBe(true)
    expect(honest.shed.map(s => [s.from, s.event.seq])).toEqual([['mallory', 4]])
    expect(held.size).toBe(4)
    expect(held.bytes).toBeLessThanOrEqual(size * 4)
    // Released events leave the shares exact: mallory can hold again up to the bound.
    expect(held.release(e => e.author === 'm').length).toBe(3)
    expect(held.bytes).toBe(size)
    for (let seq = 5; seq < 8; seq++) expect(held.hold(event('m', seq, 0), 'mallory').held).toBe(true)
    expect(held.hold(event('m', 8, 0), 'mallory').held).toBe(false)
  })

  it('is bounded by count too, and refuses an event larger than the whole bound', () => {
    const held = new HeldEvents({ maxEvents: 2, maxBytes: 1 << 20 })
    expect(held.hold(event('a', 1, 0), 'a').held).toBe(true)
    expect(held.hold(event('a', 2, 0), 'a').held).toBe(true)
    expect(held.hold(event('a', 3, 0), 'a').held).toBe(false)
    const tiny = new HeldEvents({ maxEvents: 10, maxBytes: 10 })
    expect(tiny.hold(event('a', 1, 0), 'a').held).toBe(false)
  })

  it('keeps its bookkeeping small when a sender\'s events come and go', () => {
    const held = new HeldEvents({ maxEvents: 10, maxBytes: 1 << 20 })
    for (let seq = 1; seq <= 1000; seq++) {
      held.hold(event('a', seq, 0), 'a')
      held.release(() => true)
    }
    expect(held.size).toBe(0)
    expect(held.bytes).toBe(0)
  })
})

describe('Replica: the hold queue under a flood', () => {
  function replica (init: Partial<ReplicaInit> = {}) {
    let now = NOW
    const shed: string[] = []
    const r = new Replica({ id: 'r', ...init }, {
      clock: { nowMs: () => now, monoMs: () => now },
      random: prng(3),
      signer: fakeSigner('r'),
      verifier: fakeVerifier,
      send: () => {},
      persist: b => { queueMicrotask(() => { r.markDurable(b.n) }) },
      observer: { shed: (_e, from) => { shed.push(from) } }
    })
    return { r, shed, advance: (ms: number) => { now += ms; r.tick() } }
  }

  it('refuses events stamped beyond the horizon without holding them; they are not covered', () => {
    const { r } = replica()
    r.receive('x', { type: 'push', events: [event('w', 1, 365 * 24 * 3600_000)], ttl: 0 })
    expect(r.stats()).toMatchObject({ held: 0, heldNow: 0, tooFarAhead: 1, rejected: 1 })
    expect(r.versionVector()).toEqual([])
  })

  it('a flooder fills the queue up to its byte bound; an honest peer\'s held event survives and is applied in time', () => {
    const { r, shed, advance } = replica({ maxHeldBytes: 64 * 1024 })
    r.receive('honest', { type: 'push', events: [event('h', 1, 90_000)], ttl: 0 })
    const flood = Array.from({ length: 200 }, (_, i) => event('m', i + 1, 120_000, 2000))
    r.receive('mallory', { type: 'push', events: flood, ttl: 0 })
    const s = r.stats()
    expect(s.heldBytes).toBeLessThanOrEqual(64 * 1024)
    expect(s.heldShed).toBeGreaterThan(150)
    expect(new Set(shed)).toEqual(new Set(['mallory']))
    advance(31_000)
    advance(1_000)
    expect(r.get('h/1')).toBeDefined()
  })
})
