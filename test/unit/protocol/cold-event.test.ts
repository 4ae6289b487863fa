// Cooling a durable event (compact-event.ts SealedEvent.cool, cold-body.ts; issue #25): it keeps what
// the state orders versions by, reads the rest back from the store when asked, and is warmed as the
// state lets go of it, so it stays readable after the store drops it.
import { describe, expect, it } from 'vitest'
import { decodeEvent, signEvent } from '../../../protocol/codec.js'
import { SealedEvent, type EventReader } from '../../../protocol/compact-event.js'
import { isConditional, type DeleteBody, type Event, type EventBody, type PutBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { LwwState } from '../../../protocol/state.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

/** A store of envelopes by (author, seq), counting its reads; `forget` drops one, as a durable removal does. */
class FakeStore implements EventReader {
  readonly envelopes = new Map<string, Uint8Array>()
  reads = 0
  keep (...events: Event[]): void { for (const e of events) this.envelopes.set(`${e.author}!${e.seq}`, e.bytes.slice()) }
  forget (e: Event): void { this.envelopes.delete(`${e.author}!${e.seq}`) }
  readBytes (author: string, seq: number): Uint8Array | undefined {
    const bytes = this.envelopes.get(`${author}!${seq}`)
    if (bytes !== undefined) this.reads++
    return bytes
  }

  read (author: string, seq: number): Event | undefined {
    const bytes = this.envelopes.get(`${author}!${seq}`)
    if (bytes === undefined) return undefined
    this.reads++
    return decodeEvent(bytes)
  }
}

let seq = 0
function event (body: EventBody, author = 'alice'): SealedEvent {
  seq++
  return decodeEvent(signEvent({ v: 1, author, seq, stamp: makeStamp(1_700_000_000_000 + seq, 0), body }, fakeSigner(author)).bytes) as SealedEvent
}
const put = (key: string, fill: number, props: Record<string, string> = {}): PutBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(fill), size: fill * 10, props, manifest: new Uint8Array(32).fill(fill + 1) })

describe('cooled events', () => {
  it('a cooled put reads the same values back; its key, kind, stamp and id need no read', () => {
    const store = new FakeStore()
    const e = event(put('a', 7, { tag: 'x' }))
    const before = { bytes: e.bytes.slice(), id: e.id.slice(), sig: e.sig.slice(), signed: e.signed.slice() }
    store.keep(e)
    e.cool(store)
    expect(e.cold).toBe(true)
    expect([e.body.key, e.body.kind, e.author, e.seq, e.id]).toEqual(['a', 'put', 'alice', e.seq, before.id])
    expect(store.reads).toBe(0)
    const body = e.body as PutBody
    expect(body.digest).toEqual(new Uint8Array(32).fill(7))
    expect(body.size).toBe(70)
    expect(body.props).toEqual({ tag: 'x' })
    expect(body.manifest).toEqual(new Uint8Array(32).fill(8))
    expect([e.bytes, e.sig, e.signed]).toEqual([before.bytes, before.sig, before.signed])
    expect(store.reads).toBeGreaterThan(0)
  })

  it('warm() takes the bytes back: the store is not needed after', () => {
    const store = new FakeStore()
    const e = event(put('b', 3))
    store.keep(e)
    e.cool(store)
    e.warm()
    store.forget(e)
    expect(e.cold).toBe(false)
    expect((e.body as PutBody).digest).toEqual(new Uint8Array(32).fill(3))
    expect(e.id).toEqual(decodeEvent(e.bytes).id)
  })

  it('a cooled event the store lost, or holds otherwise, says so when read; what stays in memory still answers', () => {
    const store = new FakeStore()
    const e = event(put('c', 1))
    store.keep(e)
    e.cool(store)
    store.forget(e)
    expect(() => (e.body as PutBody).digest).toThrow(/was cooled but the store no longer holds it/)
    expect(e.body.key).toBe('c')
    const other = event(put('c', 2))
    store.envelopes.set(`${e.author}!${e.seq}`, other.bytes)
    expect(() => e.bytes).toThrow(/not the one cooled: the store is damaged/)
  })

  it('membership and other system events are never cooled', () => {
    const store = new FakeStore()
    const m = event({ kind: 'member', key: `mycel:member/p/${'0'.repeat(32)}`, peer: 'p', role: 'reader', seen: [] })
    store.keep(m)
    m.cool(store)
    expect(m.cold).toBe(false)
  })

  it('a cold delete answers isConditional without a read unless it is one', () => {
    const store = new FakeStore()
    const plain = event({ kind: 'delete', key: 'd' })
    const conditional = event({ kind: 'delete', key: 'd', ifVersion: new Uint8Array(32).fill(9) })
    store.keep(plain, conditional)
    plain.cool(store)
    conditional.cool(store)
    expect(isConditional(plain)).toBe(false)
    expect(store.reads).toBe(0)
    expect(isConditional(conditional)).toBe(true)
    expect((conditional.body as DeleteBody).ifVersion).toEqual(new Uint8Array(32).fill(9))
  })

  it('the state warms a cooled version as it lets go of it: the superseded winner stays readable once the store drops it', () => {
    for (const retain of [false, true]) {
      const store = new FakeStore()
      const state = new LwwState(retain)
      const old = event(put('k', 1))
      state.apply(old)
      store.keep(old)
      old.cool(store)
      const digestBefore = state.digest()
      const newer = event(put('k', 2))
      const r = state.apply(newer)
      expect(r.won).toBe(true)
      if (retain) {
        expect(state.holds(old)).toBe(true)
        expect(state.remove(old).removed).toBe(true)
      } else {
        expect(r.dropped).toEqual([old])
      }
      expect(old.cold).toBe(false)
      store.forget(old)
      expect((old.body as PutBody).digest).toEqual(new Uint8Array(32).fill(1))
      expect(state.holds(old)).toBe(false)
      expect(state.holds(newer)).toBe(true)
      expect(digestBefore).not.toEqual(state.digest())
    }
  })
})
