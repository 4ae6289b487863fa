// StableCollection: tombstones and superseded versions collected once every member has them.
import { describe, expect, it } from 'vitest'
import { signAck } from '../../../protocol/acks.js'
import { signEvent } from '../../../protocol/codec.js'
import type { Event, EventBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { StableCollection } from '../../../protocol/stable-collection.js'
import { LwwState } from '../../../protocol/state.js'
import { VersionVector } from '../../../protocol/version-vector.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

function ev (author: string, seq: number, wall: number, body: EventBody): Event {
  return signEvent({ v: 1, author, seq, stamp: makeStamp(wall, 0), body }, fakeSigner(author))
}

describe('StableCollection', () => {
  const put = ev('a', 1, 1000, { kind: 'put', key: 'k', digest: new Uint8Array(32).fill(1), size: 1, props: {} })
  const del = ev('a', 2, 2000, { kind: 'delete', key: 'k' })

  it('keeps nothing when collection is off: no keys, no durable coverage in its row', () => {
    const state = new LwwState(false)
    state.apply(del)
    const sc = new StableCollection(false)
    sc.note('k', state)
    sc.durable([['a', 2]])
    expect(sc.pending).toBe(false)
    expect(sc.durableRow()).toEqual([])
    expect(sc.rows(undefined, 10, 1 << 20)).toEqual([])
  })

  it('gives a tombstone winner back once every member has it durably, and forgets its key', () => {
    const state = new LwwState(false)
    state.apply(put)
    state.apply(del)
    const sc = new StableCollection(true)
    sc.note('k', state)
    expect(sc.pending).toBe(true)
    const own = new VersionVector([['a', 2], ['b', 0]])
    sc.durable([['a', 2]])
    expect(sc.durableRow()).toEqual([['a', 2]])
    const row = (member: string, stamp: number, vv: Array<[string, number]>): ReturnType<typeof signAck> => signAck({ member, seq: 0, stamp: makeStamp(stamp, 0), vv }, fakeSigner(member))
    sc.heard(row('a', 1, sc.durableRow()))
    // b has not acked yet: nothing is stable.
    expect(sc.stable(state, ['a', 'b'], own)).toEqual([])
    expect(sc.heard(row('b', 5, [['a', 1]]))).toBe(true)
    expect(sc.stable(state, ['a', 'b'], own)).toEqual([]) // b's row does not cover the tombstone
    expect(sc.heard(row('b', 4, [['a', 2]]))).toBe(false) // older than what we hold of b
    expect(sc.heard(row('b', 5, [['a', 2]]))).toBe(true) // same stamp, more coverage: news
    expect(sc.rows(undefined, 10, 1 << 20).map(r => r.member)).toEqual(['a', 'b'])
    expect(sc.stable(state, ['a', 'b'], own).map(e => e.seq)).toEqual([2])
    expect(sc.pending).toBe(false)
  })

  it('a live winner with nothing superseded is not worth remembering', () => {
    const state = new LwwState(false)
    state.apply(put)
    const sc = new StableCollection(true)
    sc.note('k', state)
    expect(sc.pending).toBe(false)
  })
})
