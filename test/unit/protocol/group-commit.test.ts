// GroupCommit (protocol/group-commit.ts): one commit in flight, the next covering
// everything that piled up meanwhile (bounded), acknowledged only after the store
// says so; a failed commit stops it. (What the daemon's CommitQueue and the
// simulator's fsync timer each did before the replica host held it for both.)
import { describe, expect, it } from 'vitest'
import { GroupCommit } from '../../../protocol/group-commit.js'
import type { PersistBatch } from '../../../protocol/replica-api.js'

const batch = (n: number, events = 0): PersistBatch => ({ n, put: [], remove: Array.from({ length: events }, (_, i) => ({ author: 'A', seq: i, key: 'k' })), winners: [], vv: [], highWater: BigInt(n) })

describe('GroupCommit', () => {
  it('commits in order, merges what piles up, and tells durable only after the store', () => {
    const commits: number[][] = []
    const staged: number[] = []
    const durable: number[] = []
    let done: (err?: Error) => void = () => {}
    const g = new GroupCommit({}, {
      store: { stage: b => staged.push(b.n), commit: (bs, d) => { commits.push(bs.map(b => b.n)); done = d } },
      durable: n => durable.push(n),
      failed: () => { throw new Error('unexpected') }
    })
    g.persist(batch(1))
    g.persist(batch(2))
    g.persist(batch(3, 1))
    expect(staged).toEqual([1, 2, 3]) // each seen as it is persisted
    expect(commits).toEqual([[1]]) // one commit in flight
    expect(g.backlog).toBe(1)
    expect(g.lastBatch).toBe(3)
    expect(durable).toEqual([]) // nothing durable before the store says so
    done()
    expect(durable).toEqual([1])
    expect(commits).toEqual([[1], [2, 3]]) // the next covers everything that piled up
    done()
    expect(durable).toEqual([1, 3])
    expect(g.backlog).toBe(0)
    expect(g.durable).toBe(3)
    g.persist(batch(4))
    expect(commits).toEqual([[1], [2, 3], [4]]) // idle: committed at once
  })

  it('a commit holds at most maxEventsPerCommit events (a larger batch goes alone)', () => {
    const commits: number[][] = []
    let done: () => void = () => {}
    const g = new GroupCommit({ maxEventsPerCommit: 10 }, {
      store: { commit: (bs, d) => { commits.push(bs.map(b => b.n)); done = d } },
      durable: () => {},
      failed: () => {}
    })
    g.persist(batch(1))
    for (const [n, events] of [[2, 4], [3, 4], [4, 4], [5, 20], [6, 1]]) g.persist(batch(n as number, events))
    for (let i = 0; i < 4; i++) done()
    expect(commits).toEqual([[1], [2, 3], [4], [5], [6]])
  })

  it('a failed commit is reported once, and nothing is committed after it', () => {
    const failed: Error[] = []
    let commits = 0
    let done: (err?: Error) => void = () => {}
    const g = new GroupCommit({}, {
      store: { commit: (_bs, d) => { commits++; done = d } },
      durable: () => { throw new Error('must not be called') },
      failed: err => failed.push(err)
    })
    g.persist(batch(1))
    g.persist(batch(2))
    done(new Error('disk on fire'))
    g.persist(batch(3))
    expect(failed.map(e => e.message)).toEqual(['disk on fire'])
    expect(commits).toBe(1)
    expect(g.failed?.message).toBe('disk on fire')
    expect(g.backlog).toBe(0)
    expect(g.lastBatch).toBe(3)
  })
})
