// DurableWaits: a write is acknowledged only once its batch is on disk; a store failure rejects every wait, now and later.
import { describe, expect, it } from 'vitest'
import { DurableWaits } from '../../../daemon/store/durable-waits.js'

describe('DurableWaits', () => {
  it('resolves each wait once its batch is durable, not before; a batch already durable at once', async () => {
    const w = new DurableWaits()
    const acked: number[] = []
    const w3 = w.whenDurable(3).then(() => acked.push(3))
    const w1 = w.whenDurable(1).then(() => acked.push(1))
    await Promise.resolve()
    expect(acked).toEqual([]) // nothing acknowledged before the disk says so
    w.durableThrough(1)
    await w1
    expect(acked).toEqual([1])
    w.durableThrough(3)
    await w3
    expect(w.durable).toBe(3)
    await w.whenDurable(2) // already durable: resolves at once
  })

  it('a failed write rejects waiters and every later wait, with INTERNAL', async () => {
    const w = new DurableWaits()
    const waiting = w.whenDurable(1)
    const err = w.fail(new Error('disk on fire'))
    expect(err).toMatchObject({ code: 'INTERNAL' })
    await expect(waiting).rejects.toMatchObject({ code: 'INTERNAL' })
    await expect(w.whenDurable(2)).rejects.toBe(err)
    expect(w.fail(new Error('again'))).toBe(err) // reported as the one failure
  })
})
