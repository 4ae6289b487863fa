// The visibility event bus: mapping applied events, subscribers, bounded buffers.
import { describe, expect, it } from 'vitest'
import { EventBus } from '../../../daemon/visibility/bus.js'
import { draftFromApplied, matches } from '../../../daemon/visibility/events.js'
import { fakeEvent, put } from '../../helpers/fake-events.js'

describe('event mapping', () => {
  it('maps core applications to visibility events; addrs produce none', () => {
    expect(draftFromApplied(put('A', 1, 5n << 16n, 'k'), true)).toMatchObject({ type: 'published', key: 'k', author: 'A', seq: 1, size: 1, digest: expect.stringMatching(/^sha256:/) })
    expect(draftFromApplied(put('B', 2, 5n << 16n, 'k'), false)).toMatchObject({ type: 'replicated', author: 'B' })
    expect(draftFromApplied(fakeEvent('A', 3, 6n << 16n, { kind: 'delete', key: 'k' }), true)).toMatchObject({ type: 'deleted', key: 'k' })
    expect(draftFromApplied(fakeEvent('A', 4, 7n << 16n, { kind: 'member', key: 'mycel:member/P/00', peer: 'P', role: 'writer', seen: [] }), false))
      .toMatchObject({ type: 'member-joined', peer: 'P', role: 'writer' })
    expect(draftFromApplied(fakeEvent('A', 5, 8n << 16n, { kind: 'revoke', key: 'mycel:revoke/P/00', peer: 'P', seen: [] }), false))
      .toMatchObject({ type: 'member-revoked', peer: 'P' })
    expect(draftFromApplied(fakeEvent('A', 6, 9n << 16n, { kind: 'addrs', key: 'mycel:addrs/A', addrs: [] }), true)).toBeUndefined()
  })

  it('a prefix filters keys but never hides member events', () => {
    const ev = { id: 1, atMs: 0 }
    expect(matches({ ...ev, type: 'published', key: 'a/1' }, { prefix: 'b/' })).toBe(false)
    expect(matches({ ...ev, type: 'member-joined', key: 'mycel:member/x' }, { prefix: 'b/' })).toBe(true)
    expect(matches({ ...ev, type: 'published', key: 'b/1' }, { prefix: 'b/', types: ['deleted'] })).toBe(false)
  })
})

describe('EventBus', () => {
  it('delivers in order to each subscriber, with increasing ids', async () => {
    const bus = new EventBus({ nowMs: () => 42 })
    const s1 = bus.subscribe()
    const s2 = bus.subscribe({ prefix: 'x/' })
    bus.publish({ type: 'published', key: 'x/1' })
    bus.publish({ type: 'published', key: 'y/1' })
    expect(await s1.next()).toMatchObject({ key: 'x/1', id: 1, atMs: 42 })
    expect(await s1.next()).toMatchObject({ key: 'y/1', id: 2 })
    expect(await s2.next()).toMatchObject({ key: 'x/1' })
    expect(s2.buffered).toBe(0)
  })

  it('drops a slow subscriber, not the publisher; others keep going', async () => {
    const bus = new EventBus()
    const slow = bus.subscribe({ maxBuffered: 3 })
    const fine = bus.subscribe({ maxBuffered: 100 })
    for (let i = 0; i < 10; i++) bus.publish({ type: 'published', key: `k${i}` })
    expect(slow.closedBecause).toBe('slow')
    expect(await slow.next()).toBeUndefined()
    expect(bus.slowDropped).toBe(1)
    expect(bus.subscribers).toBe(1)
    expect(fine.buffered).toBe(10)
  })

  it('drop-oldest keeps the subscriber and counts what it lost', async () => {
    const bus = new EventBus()
    const s = bus.subscribe({ maxBuffered: 3, overflow: 'drop-oldest' })
    for (let i = 0; i < 5; i++) bus.publish({ type: 'published', key: `k${i}` })
    expect(s.dropped).toBe(2)
    expect((await s.next())?.key).toBe('k2')
  })

  it('bounds subscribers and the recent ring; stop ends every stream after its buffer', async () => {
    const bus = new EventBus({ maxSubscribers: 1, recent: 2 })
    const s = bus.subscribe()
    expect(() => bus.subscribe()).toThrow(/too many event subscribers/)
    for (let i = 0; i < 3; i++) bus.publish({ type: 'published', key: `k${i}` })
    expect(bus.recent(10).map(e => e.key)).toEqual(['k1', 'k2'])
    expect(bus.recent(0)).toEqual([]) // no replay unless asked for
    const waiting = (async () => { const got = []; for await (const e of s) got.push(e.key); return got })()
    bus.stop()
    expect(await waiting).toEqual(['k0', 'k1', 'k2'])
  })

  it('a waiting reader wakes on publish', async () => {
    const bus = new EventBus()
    const s = bus.subscribe()
    const next = s.next()
    bus.publish({ type: 'available', key: 'k' })
    expect(await next).toMatchObject({ type: 'available', key: 'k' })
  })
})

describe('EventBus.publishLazy', () => {
  it('builds a draft only when the recent ring is read, or at once when someone subscribes; ids and counts as publish()', async () => {
    const bus = new EventBus({ nowMs: () => 7, recent: 3 })
    let built = 0
    const lazy = (key: string) => () => { built++; return { type: 'replicated' as const, key } }
    for (let i = 0; i < 5; i++) bus.publishLazy('replicated', lazy(`k${i}`))
    expect(built).toBe(0)
    expect(bus.counts.get('replicated')).toBe(5)
    expect(bus.recent(10)).toEqual([{ type: 'replicated', key: 'k2', id: 3, atMs: 7 }, { type: 'replicated', key: 'k3', id: 4, atMs: 7 }, { type: 'replicated', key: 'k4', id: 5, atMs: 7 }])
    expect(built).toBe(3) // only what the ring still held
    bus.recent(10)
    expect(built).toBe(3) // built once
    const sub = bus.subscribe()
    bus.publishLazy('replicated', lazy('k5'))
    expect(built).toBe(4)
    expect(await sub.next()).toEqual({ type: 'replicated', key: 'k5', id: 6, atMs: 7 })
  })
})
