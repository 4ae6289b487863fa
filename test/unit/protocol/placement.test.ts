// The replication factor's placement (protocol/placement.ts): the same holders from the same inputs
// in any order, the author first, spread by rendezvous hashing, `none` sites and non-members never
// chosen, demoted sites last, and a leave or a join moving one copy at most.
import { describe, expect, it } from 'vitest'
import { placeHolders, rankCandidates, type PlacementMember } from '../../../protocol/placement.js'
import { sha256 } from '../../../protocol/sha256.js'

const digestOf = (n: number): Uint8Array => sha256(new TextEncoder().encode(`blob ${n}`))
const sites = (n: number): PlacementMember[] => Array.from({ length: n }, (_, i) => ({ peer: `12D3KooSite${i}`, mode: 'on-demand' as const }))
const shuffled = <T>(list: readonly T[], seed: number): T[] => {
  const out = [...list]
  let s = seed
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31
    const j = s % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

describe('placement: which sites hold a key\'s bytes', () => {
  it('is a function of its inputs: the member list in any order gives the same holders', () => {
    const members = sites(9)
    for (let d = 0; d < 20; d++) {
      const input = { digest: digestOf(d), replicas: 3, author: members[d % 9].peer }
      const holders = placeHolders({ ...input, members })
      expect(holders).toHaveLength(3)
      for (let seed = 1; seed < 5; seed++) expect(placeHolders({ ...input, members: shuffled(members, seed) })).toEqual(holders)
    }
  })

  it('puts the author first when it may hold, then the others by rendezvous weight', () => {
    const members = sites(5)
    for (let d = 0; d < 20; d++) {
      const author = members[d % 5].peer
      const holders = placeHolders({ digest: digestOf(d), replicas: 2, author, members })
      expect(holders[0]).toBe(author)
      // The rest is the rendezvous order of the others, whoever wrote.
      const others = rankCandidates({ digest: digestOf(d), author: 'not-a-member', members }).filter(p => p !== author)
      expect(holders[1]).toBe(others[0])
    }
  })

  it('spreads keys over the sites: each holds about replicas/sites of them', () => {
    const members = sites(5)
    const held = new Map<string, number>()
    const keys = 2000
    for (let d = 0; d < keys; d++) {
      for (const p of placeHolders({ digest: digestOf(d), replicas: 2, author: 'elsewhere', members })) held.set(p, (held.get(p) ?? 0) + 1)
    }
    // Expected 2000 * 2 / 5 = 800 each; a fair hash stays well within ±15 %.
    for (const m of members) expect(held.get(m.peer)).toBeGreaterThan(680)
    for (const m of members) expect(held.get(m.peer)).toBeLessThan(920)
  })

  it('never chooses a site whose policy for the key is none, except the author (it has the bytes)', () => {
    const members = sites(4).map((m, i) => i < 2 ? { ...m, mode: 'none' as const } : m)
    for (let d = 0; d < 20; d++) {
      const holders = placeHolders({ digest: digestOf(d), replicas: 4, author: 'elsewhere', members })
      expect(holders.sort()).toEqual([members[2].peer, members[3].peer].sort())
      expect(placeHolders({ digest: digestOf(d), replicas: 1, author: members[0].peer, members })).toEqual([members[0].peer])
    }
  })

  it('counts a site that announced no policy yet as a candidate', () => {
    const members: PlacementMember[] = [{ peer: 'a' }, { peer: 'b', mode: 'eager' }]
    expect(placeHolders({ digest: digestOf(1), replicas: 2, author: 'x', members }).sort()).toEqual(['a', 'b'])
  })

  it('chooses only members: a revoked site (no longer in the list) is replaced by the next in order', () => {
    const members = sites(6)
    for (let d = 0; d < 30; d++) {
      const digest = digestOf(d)
      const author = members[0].peer
      const before = placeHolders({ digest, replicas: 2, author, members })
      // The author is revoked: the other holder stays, one more is chosen.
      const afterAuthor = placeHolders({ digest, replicas: 2, author, members: members.filter(m => m.peer !== author) })
      expect(afterAuthor).not.toContain(author)
      expect(afterAuthor).toContain(before[1])
      // The other holder is revoked instead: the author stays, one more is chosen.
      const afterOther = placeHolders({ digest, replicas: 2, author, members: members.filter(m => m.peer !== before[1]) })
      expect(afterOther[0]).toBe(author)
      expect(afterOther).not.toContain(before[1])
    }
  })

  it('moves at most one copy when a site joins', () => {
    const members = sites(6)
    const joiner = { peer: '12D3KooJoiner', mode: 'eager' as const }
    for (let d = 0; d < 50; d++) {
      const before = placeHolders({ digest: digestOf(d), replicas: 3, author: 'elsewhere', members })
      const after = placeHolders({ digest: digestOf(d), replicas: 3, author: 'elsewhere', members: [...members, joiner] })
      expect(after.filter(p => !before.includes(p)).length).toBeLessThanOrEqual(1)
      if (!after.includes(joiner.peer)) expect(after).toEqual(before)
    }
  })

  it('gives every candidate when the factor is above their number', () => {
    const members = sites(3)
    expect(placeHolders({ digest: digestOf(1), replicas: 5, author: 'elsewhere', members })).toHaveLength(3)
    expect(placeHolders({ digest: digestOf(1), replicas: 5, author: 'elsewhere', members: [] })).toEqual([])
  })

  it('takes demoted sites (long down, out of space) only after every other, the author included', () => {
    const members = sites(5)
    for (let d = 0; d < 20; d++) {
      const digest = digestOf(d)
      const order = rankCandidates({ digest, author: 'elsewhere', members })
      const demoted = members.map(m => m.peer === order[0] || m.peer === order[1] ? { ...m, demoted: true } : m)
      expect(placeHolders({ digest, replicas: 3, author: 'elsewhere', members: demoted })).toEqual(order.slice(2, 5))
      // Too few others: demoted sites fill in, in their own order.
      expect(placeHolders({ digest, replicas: 5, author: 'elsewhere', members: demoted })).toEqual([...order.slice(2), order[0], order[1]])
      // A demoted author loses its first place.
      expect(placeHolders({ digest, replicas: 1, author: order[0], members: demoted })).toEqual([order[2]])
    }
  })
})
