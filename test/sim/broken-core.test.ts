// The whole harness, pointed at deliberately broken cores, must say so: the
// checkers are worth only the bugs they are shown to catch end to end.
import { describe, expect, it } from 'vitest'
import type { SyncMessage } from '../../protocol/messages.js'
import { Replica } from '../../protocol/replica.js'
import type { ReplicaFactory } from '../../sim/node.js'
import { runSim } from '../../sim/run.js'
import { cluster, settle } from './harness.js'

/** A core that never applies a delete it hears from a peer. */
const ignoresRemoteDeletes: ReplicaFactory = (init, components, snapshot) => {
  const r = new Replica(init, components, snapshot)
  const receive = r.receive.bind(r)
  r.receive = (from: string, m: SyncMessage) => {
    if (m.type === 'push' || m.type === 'events') m = { ...m, events: m.events.filter(e => e.body.kind !== 'delete') }
    receive(from, m)
  }
  return r
}

/** A core that never applies anything n0 wrote, when it hears it from a peer. */
const shunsN0: ReplicaFactory = (init, components, snapshot) => {
  const r = new Replica(init, components, snapshot)
  const receive = r.receive.bind(r)
  r.receive = (from: string, m: SyncMessage) => {
    if (m.type === 'push' || m.type === 'events') m = { ...m, events: m.events.filter(e => e.author !== 'n0') }
    receive(from, m)
  }
  return r
}

/** A core whose restart ignores the disk: it comes back empty. */
const forgetsOnRestart: ReplicaFactory = (init, components) => new Replica(init, components)

describe('the harness catches broken cores', () => {
  it('a core that drops remote deletes: divergence and resurrected deletes', () => {
    const c = cluster(3, {}, { createReplica: ignoresRemoteDeletes })
    c.put(0, 'k')
    c.runFor(500)
    c.del(1, 'k')
    settle(c, 10_000)
    const checks = c.check().map(v => v.check)
    expect(checks).toContain('convergence')
    expect(checks).toContain('resurrection')
  })

  it('a core that forgets its disk on restart: acknowledged writes are lost', () => {
    const c = cluster(3, { network: { latencyMs: 20, latencyDist: 'constant', jitter: 0, linkSpread: 0, lossRate: 0, duplicateRate: 0, reorderRate: 0, capacityBytesPerSec: 0 } }, { createReplica: forgetsOnRestart })
    for (let i = 0; i < 3; i++) { c.put(0, `k${i}`); c.runFor(50) }
    c.runFor(500)
    c.crash(0)
    c.restart(0)
    // The amnesiac reuses sequence numbers its peers already hold: they take the new writes for duplicates.
    for (let i = 0; i < 3; i++) { c.put(0, `k${i}`); c.runFor(50) }
    settle(c, 10_000)
    expect(c.check().map(v => v.check)).toContain('lost-write')
  })

  it('a broken core fails a seeded run: ok false, violations listed, replay command given', () => {
    const r = runSim({ seed: 5, nodes: 4, writes: 80, durationMs: 2000 }, { createReplica: shunsN0 })
    expect(r.ok).toBe(false)
    expect(r.violations.map(v => v.check)).toContain('convergence')
    expect(r.violations.map(v => v.check)).toContain('lost-write')
    expect(r.replay).toBe('mycel sim --seed 5 --scenario steady --nodes 4 --writes 80 --rate 40 --latency 50ms --duration 2000ms')
  })
})
