// Anti-entropy batches and version vectors.
import { describe, expect, it } from 'vitest'
import { signAck } from '../../../protocol/acks.js'
import { encodeMessage } from '../../../protocol/codec.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'
import { buildResponse } from '../../../protocol/anti-entropy.js'
import { AuthorLog } from '../../../protocol/author-log.js'
import type { Event, EventBody } from '../../../protocol/event.js'
import { VersionVector } from '../../../protocol/version-vector.js'
import { MemCluster } from '../../helpers/mem-cluster.js'

const put = (key: string, n = 1): EventBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(n), size: n, props: {} })

describe('anti-entropy batches', () => {
  it('splits a large catch-up into batches bounded in bytes, pulled one response at a time', async () => {
    const maxBatchBytes = 4096
    const c = new MemCluster(2, 1, { pushFanout: 0, maxBatchBytes })
    for (let i = 0; i < 500; i++) await c.write(0, put(`key/${i}`, i % 200))
    c.connectAll()
    let batches = 0
    let more = 0
    while (c.pool.length > 0) {
      const m = c.pool.shift()!
      if (m.message.type === 'events') {
        batches++
        if (m.message.more) more++
        expect(encodeMessage(m.message).length).toBeLessThanOrEqual(maxBatchBytes + 256)
      }
      c.byId(m.to)!.receive(m.from, m.message)
    }
    expect(batches).toBeGreaterThan(10)
    expect(more).toBeGreaterThan(0) // the sender stopped at its budget and was asked again
    expect(c.digestsEqual()).toBe(true)
    expect(c.replicas[1].counts().keys).toBe(500)
  })

  it('a lost batch never lets the receiver skip events (through is conditional)', async () => {
    const c = new MemCluster(2, 2, { pushFanout: 0, maxBatchBytes: 2048 })
    for (let i = 0; i < 200; i++) await c.write(0, put(`k${i}`))
    c.connectAll()
    let dropped = false
    while (c.pool.length > 0) {
      const m = c.pool.shift()!
      if (!dropped && m.message.type === 'events' && m.message.events.length > 0) { dropped = true; continue }
      c.byId(m.to)!.receive(m.from, m.message)
    }
    expect(dropped).toBe(true)
    const [, seq] = c.replicas[1].versionVector().find(([a]) => a === 'n0') ?? ['n0', 0]
    // Whatever it covers, it holds: coverage never runs past what arrived.
    for (let s = 1; s <= seq; s++) expect(c.replicas[1].get(`k${s - 1}`)).toBeDefined()
    await c.converge()
    expect(c.replicas[1].counts().keys).toBe(200)
  })
})

describe('VersionVector', () => {
  it('tracks events past a gap and advances when the gap closes', () => {
    const vv = new VersionVector()
    const changed = new Set<string>()
    vv.add('a', 1, changed)
    vv.add('a', 3, changed)
    vv.add('a', 4, changed)
    expect(vv.covered('a')).toBe(1)
    expect(vv.has('a', 3)).toBe(true)
    expect(vv.has('a', 2)).toBe(false)
    vv.add('a', 2, changed)
    expect(vv.covered('a')).toBe(4)
  })

  it('takes a vouch only when it starts at or below its own mark', () => {
    const vv = new VersionVector([['a', 5]])
    const changed = new Set<string>()
    vv.advance('a', 7, 10, changed)
    expect(vv.covered('a')).toBe(5)
    vv.advance('a', 5, 10, changed)
    expect(vv.covered('a')).toBe(10)
  })
})

describe('VersionVector entries (rebuilt only where marks moved)', () => {
  it('reuses unchanged tuples, replaces moved ones, and never alters an array already handed out', () => {
    const vv = new VersionVector([['a', 1], ['b', 2]])
    const changed = new Set<string>()
    const first = vv.entries()
    expect(first).toEqual([['a', 1], ['b', 2]])
    expect(vv.entries()).toBe(first) // cached until a mark moves
    vv.add('b', 3, changed)
    vv.add('c', 1, changed)
    const second = vv.entries()
    expect(second).toEqual([['a', 1], ['b', 3], ['c', 1]])
    expect(second[0]).toBe(first[0]) // same tuple: nothing allocated for an unmoved author
    expect(second[1]).not.toBe(first[1])
    expect(first).toEqual([['a', 1], ['b', 2]]) // what was sent stays as it was
    expect(vv.entry('b')).toEqual(['b', 3])
    expect(vv.entry('z')).toEqual(['z', 0])
  })
})

describe('AuthorLog.lastSeq', () => {
  const ev = (author: string, seq: number): Event => ({ author, seq, bytes: new Uint8Array(10), id: new Uint8Array(32).fill(seq) } as unknown as Event)

  it('is the highest seq held, exact after removals at the top, and 0 once an author has nothing left', () => {
    const log = new AuthorLog()
    for (const s of [1, 2, 5, 7]) log.add(ev('a', s))
    expect(log.lastSeq('a')).toBe(7)
    log.remove(ev('a', 7))
    expect(log.lastSeq('a')).toBe(5)
    log.remove(ev('a', 2))
    expect(log.lastSeq('a')).toBe(5)
    expect(log.range('a', 0, 10).map(e => e.seq)).toEqual([1, 5])
    log.remove(ev('a', 5))
    log.remove(ev('a', 1))
    expect(log.lastSeq('a')).toBe(0)
    expect(log.range('a', 0, 10)).toEqual([])
    log.add(ev('a', 2)) // a removed seq can come back (e.g. after invalidation is undone)
    expect(log.lastSeq('a')).toBe(2)
    expect(log.range('a', 0, 10).map(e => e.seq)).toEqual([2])
    expect(log.lastSeq('nobody')).toBe(0)
  })

  it('buildResponse vouches for an author with nothing left above the peer exactly as a scan would', () => {
    const log = new AuthorLog()
    log.add(ev('a', 3))
    const batches = buildResponse({ log, needs: [['a', 3, 9], ['b', 0, 4], ['a', 1, 9]], pending: [], maxBatchBytes: 1 << 20, maxBatches: 4 })
    expect(batches).toHaveLength(1)
    expect(batches[0].through).toEqual([['a', 3, 9], ['b', 0, 4], ['a', 1, 9]])
    expect(batches[0].events.map(e => e.seq)).toEqual([3])
  })
})

describe('regressions found by the simulator', () => {
  it('an event held above a gap is offered onwards, so it spreads even if its author is gone', async () => {
    const c = new MemCluster(3, 4, { pushFanout: 0, catchUpSpacingMs: 0 }) // the clock stands still: each peer up gets its round at once
    // n0 writes k three times (each superseding the last), then a fourth time; only the fourth reaches n1.
    for (let i = 0; i < 4; i++) c.replicas[0].write(put('k', i))
    await Promise.resolve()
    const last = c.replicas[0].get('k')!
    c.replicas[1].receive('n0', { type: 'push', events: [last], ttl: 0 })
    expect(c.replicas[1].versionVector().find(([a]) => a === 'n0')).toBeUndefined() // a gap: nothing covered
    // n0 is gone for good; n1 and n2 meet.
    c.replicas[1].peerUp('n2'); c.replicas[2].peerUp('n1')
    c.pool.length = 0
    c.replicas[2].peerUp('n1')
    c.deliver()
    expect(c.replicas[2].get('k')?.id).toEqual(last.id)
  })

  it('a replica asked for acks answers with its table, so a straggler can still collect', async () => {
    const c = new MemCluster(2, 1, { pushFanout: 0 }, true)
    c.connectAll()
    await c.write(0, put('x'))
    await c.converge()
    c.pool.length = 0
    c.replicas[1].receive('n0', { type: 'acks', acks: [signAck({ member: 'n0', seq: 1, stamp: makeStamp(c.now, 5), vv: [['n0', 1]] }, fakeSigner('n0'))], reply: true })
    const answer = c.pool.find(m => m.message.type === 'acks')
    expect(answer?.to).toBe('n0')
    expect(answer?.message).toMatchObject({ type: 'acks', reply: false })
    const rows = answer?.message.type === 'acks' ? answer.message.acks.map(r => r.member).sort() : []
    expect(rows).toEqual(['n0', 'n1'])
  })
})
