// `where` under a replication factor (daemon/visibility/where.ts): the target from the rule, the
// holders placement chose marked `placed`, and `actual` counting only members whose bytes are held.
import { describe, expect, it } from 'vitest'
import type { Holding } from '../../../daemon/visibility/holdings.js'
import { where, type WhereComponents } from '../../../daemon/visibility/where.js'
import type { Event } from '../../../protocol/event.js'

const put = { author: 'a', seq: 1, stamp: 1n << 16n, body: { kind: 'put', key: 'rel/1', digest: new Uint8Array(32), size: 1, props: {} } } as unknown as Event

function parts (held: Record<string, Holding['state']>, placement?: { target: number, holders: string[] }): WhereComponents {
  return {
    get: key => key === 'rel/1' ? put : undefined,
    members: () => ['a', 'b', 'c', 'd'].map((peerId, i) => ({ peerId, role: 'writer', connected: true, self: i === 0 })),
    sync: { coverage: () => undefined },
    holdings: {
      holdersOf: async () => new Map(Object.entries(held).filter(([p]) => p !== 'a').map(([p, state]) => [p, { state: state as Exclude<Holding['state'], 'unknown'> }])),
      localProgress: async () => ({ state: (held.a ?? 'missing') as Exclude<Holding['state'], 'unknown'> })
    },
    ...(placement === undefined ? {} : { placement: () => placement })
  }
}

describe('where: the replication factor', () => {
  it('shows the target, the chosen holders and the verified count', async () => {
    const answer = await where(parts({ a: 'held', b: 'fetching', d: 'held' }, { target: 2, holders: ['a', 'b'] }), 'rel/1')
    expect(answer.replicas).toEqual({ target: 2, actual: 2, holders: ['a', 'b'] })
    expect(answer.members.map(m => [m.peerId, m.placed, m.bytes])).toEqual([['a', true, 'held'], ['b', true, 'fetching'], ['c', false, 'unknown'], ['d', false, 'held']])
  })

  it('says nothing of a factor for a key without one', async () => {
    const answer = await where(parts({ a: 'held' }), 'rel/1')
    expect(answer.replicas).toBeNull()
    expect(answer.members.every(m => m.placed === null)).toBe(true)
  })
})
