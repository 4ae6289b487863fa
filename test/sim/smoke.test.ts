import { describe, it, expect } from 'vitest'
import { Cluster } from '../../sim/cluster.js'

describe('smoke', () => {
  it('5 nodes converge', () => {
    const c = new Cluster({
      seed: 1, nodes: 5,
      network: { latencyMs: 50, latencyDist: 'uniform', jitter: 0.1, linkSpread: 0.2, lossRate: 0, duplicateRate: 0, reorderRate: 0, capacityBytesPerSec: 0 },
      fsyncMs: [1, 3], replica: {}, collectTombstones: true
    })
    for (let i = 0; i < 20; i++) { c.put(i % 5, `k${i % 7}`); c.runFor(7) }
    c.del(2, 'k1')
    const at = c.settle(30_000, 1500)
    console.log('settled at', at, c.network.counters, c.history.acknowledged().length)
    expect(c.check()).toEqual([])
  })
})
