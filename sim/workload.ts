// The writers: puts and deletes arrive as a Poisson process at the knob rate,
// each at a random node that can take a client write, on a shared key space
// where half the traffic goes to a hot tenth of the keys — so concurrent
// writes to one key, from different nodes, are the common case.

import type { Cluster } from './cluster.js'
import type { Knobs } from './knobs.js'
import type { Prng } from './prng.js'

export class Workload {
  issued = 0
  refused = 0
  private readonly cluster: Cluster
  private readonly k: Knobs
  private readonly r: Prng
  private readonly canWrite: (node: number) => boolean
  /**
   * One string per key for the whole run: every event, map and message then
   * shares it, so each lookup by key finds its hash computed and matches on
   * identity instead of comparing characters.
   */
  private readonly keyNames: string[] = []

  constructor (cluster: Cluster, knobs: Knobs, random: Prng, canWrite: (node: number) => boolean) {
    this.cluster = cluster
    this.k = knobs
    this.r = random
    this.canWrite = canWrite
  }

  start (): void {
    if (this.k.writes > 0) this.cluster.at(this.gapMs(), () => this.arrive())
  }

  private gapMs (): number {
    return this.r.exponential(1000 / this.k.ratePerSec)
  }

  private arrive (): void {
    if (this.issued >= this.k.writes || this.cluster.now() >= this.k.durationMs) return
    this.writeOne()
    const next = this.cluster.now() + this.gapMs()
    if (this.issued < this.k.writes && next < this.k.durationMs) this.cluster.at(next, () => this.arrive())
  }

  private writeOne (): void {
    const n = this.cluster.nodes.length
    const start = this.r.int(n)
    const hot = this.r.chance(0.5)
    const keyIndex = hot ? this.r.int(Math.max(1, Math.ceil(this.k.keys / 10))) : this.r.int(this.k.keys)
    const key = this.keyNames[keyIndex] ?? (this.keyNames[keyIndex] = `k${keyIndex}`)
    const isDelete = this.r.chance(this.k.deleteRatio)
    const size = 1 + this.r.int(1 << 20)
    for (let i = 0; i < n; i++) {
      const node = (start + i) % n
      if (!this.canWrite(node)) continue
      const record = isDelete ? this.cluster.del(node, key) : this.cluster.put(node, key, size)
      if (record !== undefined) { this.issued++; return }
    }
    this.refused++
  }
}
