// CommitQueue: group commit of persist batches, and a store failure.
import { describe, expect, it } from 'vitest'
import { CommitQueue } from '../../../daemon/store/commit-queue.js'
import type { PersistBatch } from '../../../protocol/replica-api.js'

const batch = (n: number): PersistBatch => ({ n, put: [], remove: [], winners: [], vv: [], highWater: BigInt(n) })

describe('CommitQueue', () => {
  it('writes in order, merges what piles up, and acknowledges after the write', async () => {
    const writes: number[][] = []
    const durable: number[] = []
    let release: () => void = () => {}
    const q = new CommitQueue({
      write: async (bs) => { writes.push(bs.map(b => b.n)); await new Promise<void>(resolve => { release = resolve }) },
      markDurable: n => durable.push(n),
      onFatal: () => { throw new Error('unexpected') }
    })
    q.persist(batch(1))
    q.persist(batch(2))
    q.persist({ ...batch(3), remove: [{ author: 'A', seq: 1, key: 'k' }] })
    expect(q.backlog).toBe(1)
    const acked: number[] = []
    const w3 = q.whenDurable(3).then(() => acked.push(3))
    const w1 = q.whenDurable(1).then(() => acked.push(1))
    expect(q.lastBatch).toBe(3)
    await Promise.resolve()
    expect(acked).toEqual([]) // nothing acknowledged before the disk says so
    release()
    await w1
    expect(durable).toEqual([1])
    await new Promise(resolve => setImmediate(resolve))
    release()
    await w3
    expect(writes).toEqual([[1], [2, 3]])
    expect(durable).toEqual([1, 3])
    expect(q.backlog).toBe(0)
    await q.flush()
    await q.whenDurable(2) // already durable: resolves at once
  })

  it('a failed write rejects waiters, reports once, and accepts nothing more', async () => {
    const fatal: Error[] = []
    const q = new CommitQueue({
      write: async () => { throw new Error('disk on fire') },
      markDurable: () => { throw new Error('must not be called') },
      onFatal: err => fatal.push(err)
    })
    q.persist(batch(1))
    await expect(q.whenDurable(1)).rejects.toMatchObject({ code: 'INTERNAL' })
    q.persist(batch(2))
    await expect(q.whenDurable(2)).rejects.toMatchObject({ code: 'INTERNAL' })
    expect(fatal).toHaveLength(1)
  })
})
