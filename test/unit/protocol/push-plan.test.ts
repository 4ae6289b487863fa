// Push planning: which peers get a new or relayed event, with which ttl, in messages under the byte bound.
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import type { Event } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { chunkByBytes, planPushes } from '../../../protocol/push-plan.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'
import { prng } from '../../helpers/mem-cluster.js'

const ev = (seq: number, size = 10): Event => signEvent({ v: 1, author: 'a', seq, stamp: makeStamp(1_700_000_000_000 + seq, 0), body: { kind: 'put', key: `k${seq}`, digest: new Uint8Array(32), size, props: { pad: 'x'.repeat(size) } } }, fakeSigner('a'))
const cfg = { pushFanout: 3, relayFanout: 1, pushTtl: 2, maxBatchBytes: 1 << 20 }
const peers = ['p1', 'p2', 'p3', 'p4', 'p5']

describe('push planning', () => {
  it('own events go to pushFanout peers with a ttl in a sparse mesh, ttl 0 when one hop reaches everyone', () => {
    const sparse = planPushes([{ event: ev(1), ttl: -1 }], peers, 9, cfg, prng(1).int)
    expect(sparse).toHaveLength(3)
    expect(new Set(sparse.map(p => p.to)).size).toBe(3)
    expect(sparse.every(p => p.message.ttl === 2)).toBe(true)
    const full = planPushes([{ event: ev(1), ttl: -1 }], peers.slice(0, 3), 3, cfg, prng(1).int)
    expect(full.map(p => p.message.ttl)).toEqual([0, 0, 0])
  })

  it('a relay goes to relayFanout peers, one hop less, never back to where it came from', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const out = planPushes([{ event: ev(1), ttl: 1, from: 'p1' }], ['p1', 'p2'], 9, cfg, prng(seed).int)
      for (const p of out) { expect(p.to).not.toBe('p1'); expect(p.message.ttl).toBe(1) }
    }
  })

  it('nothing to push or nobody to push to plans nothing', () => {
    expect(planPushes([], peers, 9, cfg, prng(1).int)).toEqual([])
    expect(planPushes([{ event: ev(1), ttl: -1 }], [], 9, cfg, prng(1).int)).toEqual([])
  })

  it('splits a burst into messages under the byte bound, keeping every event once and in order', () => {
    const events = Array.from({ length: 20 }, (_, i) => ev(i + 1, 400))
    const chunks = chunkByBytes(events, 2000)
    expect(chunks.length).toBeGreaterThan(1)
    expect(chunks.flat()).toEqual(events)
    for (const c of chunks) expect(c.reduce((n, e) => n + e.bytes.length + 4, 0)).toBeLessThanOrEqual(2000)
  })
})
