// The simulator's disk without durable images, alone and under a whole cluster.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../protocol/event.js'
import type { PersistBatch } from '../../protocol/replica-api.js'
import { VirtualDisk } from '../../sim/disk.js'
import { ImagelessDisk } from '../../sim/imageless-disk.js'
import { runSim } from '../../sim/run.js'
import { cluster, settle } from './harness.js'

const batch = (n: number): PersistBatch => ({ n, put: [{ author: 'a', seq: n, body: { kind: 'delete', key: `k${n}` } } as unknown as Event], remove: [], winners: [], vv: [['a', n]], highWater: BigInt(n) })

describe('ImagelessDisk', () => {
  it('makes the same batch numbers durable as VirtualDisk, and refuses a crash or a restart', () => {
    const full = new VirtualDisk()
    const bare = new ImagelessDisk()
    for (const d of [full, bare]) for (const n of [1, 2, 3, 4]) d.write(batch(n))
    for (const n of [0, 2, 2, 3, 9]) expect(bare.flushThrough(n)).toBe(full.flushThrough(n))
    expect(bare.durableThrough()).toBe(4)
    expect(() => bare.crash()).toThrow(/no durable images/)
    expect(() => bare.snapshot()).toThrow(/no durable images/)
  })
})

describe('a cluster without durable images', () => {
  it('replicates exactly as one with them: same digests, same acknowledgements, same visibility', () => {
    const script = (durableImages: boolean): { digests: string[], acked: number, report: unknown } => {
      const c = cluster(12, { durableImages })
      for (let i = 0; i < 60; i++) c.at(i * 20, () => { c.put(i % 12, `k${i % 7}`) })
      c.at(300, () => c.isolate([0, 1, 2]))
      c.at(900, () => c.heal())
      c.runUntil(1200)
      expect(settle(c)).toBeDefined()
      const writes = c.history.writes
      return { digests: c.views().map(v => v.digest), acked: writes.filter(w => w.ackedAtMs !== undefined).length, report: c.check() }
    }
    const bare = script(false)
    expect(bare).toEqual(script(true))
    expect(bare.acked).toBe(60)
    expect(bare.report).toEqual([])
    expect(new Set(bare.digests).size).toBe(1)
  })

  it('is what a run uses when its timeline has no crash, and not otherwise', () => {
    // partition-heal has no crash: it must not need an image; churn crashes and restarts nodes: it must.
    expect(runSim({ seed: 3, scenario: 'partition-heal', nodes: 10, writes: 100 }).ok).toBe(true)
    const churn = runSim({ seed: 3, scenario: 'churn', nodes: 10, writes: 100 })
    expect(churn.ok).toBe(true)
    expect(churn.detail.crashes).toBeGreaterThan(0)
  })
})
