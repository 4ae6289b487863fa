// Hash-chained events: a run of one author's events costs one signature check; forged or tampered ones break it.
import * as cbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import { decodeEvent, signEvent } from '../../../protocol/codec.js'
import type { Event, EventBody, UnsignedEvent } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import type { PersistBatch } from '../../../protocol/replica-api.js'
import { Replica } from '../../../protocol/replica.js'
import type { Verifier } from '../../../protocol/ports.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { prng } from '../../helpers/mem-cluster.js'

const T0 = 1_700_000_000_000
const put = (key: string): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(1), size: 1, props: {} })

/** Events 1..n of `author`, each naming the one before it, as a replica would write them. */
function chain (author: string, n: number, signer = fakeSigner(author)): Event[] {
  const out: Event[] = []
  for (let seq = 1; seq <= n; seq++) {
    const u: UnsignedEvent = { v: 1, author, seq, stamp: makeStamp(T0 + seq, 0), body: put(`k${seq}`) }
    if (seq > 1) u.prev = out[seq - 2].id
    out.push(signEvent(u, signer))
  }
  return out
}

/** The same event with its signature replaced (the signed part untouched). */
function withSig (e: Event, sig: Uint8Array): Event {
  return decodeEvent(cbor.encode({ s: e.signed, g: sig }))
}

/** A replica that counts signature checks. */
function receiver () {
  let checks = 0
  const verifier: Verifier = { verify: (a, b, s) => { checks++; return fakeVerifier.verify(a, b, s) } }
  const batches: PersistBatch[] = []
  const r: Replica = new Replica({ id: 'r' }, {
    clock: { nowMs: () => T0 + 10_000, monoMs: () => 0 },
    random: prng(1),
    signer: fakeSigner('r'),
    verifier,
    send: () => {},
    persist: b => { batches.push(b); r.markDurable(b.n) }
  })
  const deliver = (events: Event[]): void => r.receive('p', { type: 'events', events, through: [['alice', 0, events.length === 0 ? 0 : Math.max(...events.map(e => e.seq))]], more: false })
  return { r, deliver, checks: () => checks }
}

describe('hash-chained events', () => {
  it('a run of 200 events of one author costs one signature check', () => {
    const { r, deliver, checks } = receiver()
    deliver(chain('alice', 200))
    expect(checks()).toBe(1)
    expect(r.counts().keys).toBe(200)
  })

  it('an event whose signature was tampered with breaks the run: it is rejected, the rest are checked and kept', () => {
    const { r, deliver, checks } = receiver()
    const events = chain('alice', 10)
    events[4] = withSig(events[4], new Uint8Array(32).fill(9)) // seq 5: its id no longer matches seq 6's prev
    deliver(events)
    expect(r.get('k5')).toBeUndefined()
    expect(r.counts().keys).toBe(9)
    expect(r.stats().rejected).toBe(1)
    expect(checks()).toBe(3) // seq 10 (top), seq 5 (unlinked, bad), seq 4 (top of the run below)
  })

  it('a forged event cannot ride the chain of a genuine one', () => {
    const { r, deliver } = receiver()
    const events = chain('alice', 6)
    const forged = signEvent({ v: 1, author: 'alice', seq: 5, stamp: makeStamp(T0 + 5, 0), body: put('evil'), prev: events[3].id }, fakeSigner('mallory'))
    deliver([...events.slice(0, 4), forged, events[5]])
    expect(r.get('evil')).toBeUndefined()
    expect(r.get('k6')).toBeDefined()
    expect(r.get('k4')).toBeDefined()
  })

  it('where the sender no longer holds a version, the run breaks and costs one more check', () => {
    const { r, deliver, checks } = receiver()
    const events = chain('alice', 20)
    deliver([...events.slice(0, 10), ...events.slice(11)]) // seq 11 superseded at the sender
    expect(checks()).toBe(2)
    expect(r.counts().keys).toBe(19)
  })

  it('events already known cost no check', () => {
    const { deliver, checks } = receiver()
    const events = chain('alice', 30)
    deliver(events)
    deliver(events)
    expect(checks()).toBe(1)
  })

  it('a writer chains its events, across a restart from its persisted state', () => {
    const batches: PersistBatch[] = []
    const make = (events: Event[] = []): Replica => {
      const r: Replica = new Replica({ id: 'w' }, {
        clock: { nowMs: () => T0, monoMs: () => 0 },
        random: prng(2),
        signer: fakeSigner('w'),
        verifier: fakeVerifier,
        send: () => {},
        persist: b => { batches.push(b); r.markDurable(b.n) }
      }, events.length > 0 ? { events, vv: [['w', events.length]], highWater: 0n } : undefined)
      return r
    }
    const w = make()
    const e1 = w.write(put('a'))
    const e2 = w.write(put('b'))
    expect(e1.prev).toBeUndefined()
    expect(e2.prev).toEqual(e1.id)
    const restarted = make(batches.flatMap(b => b.put))
    expect(restarted.write(put('c')).prev).toEqual(e2.id)
  })

  it('the codec refuses a prev on an author’s first event and a prev of the wrong length', () => {
    const first: UnsignedEvent = { v: 1, author: 'a', seq: 1, stamp: makeStamp(T0, 0), body: put('x'), prev: new Uint8Array(32) }
    expect(() => signEvent(first, fakeSigner('a'))).toThrow(/first event/)
    const short: UnsignedEvent = { v: 1, author: 'a', seq: 2, stamp: makeStamp(T0, 0), body: put('x'), prev: new Uint8Array(31) }
    expect(() => signEvent(short, fakeSigner('a'))).toThrow(/prev/)
    const [, e2] = chain('a', 2)
    expect(decodeEvent(e2.bytes).prev).toEqual(e2.prev)
  })
})
