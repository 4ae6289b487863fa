// The whole harness, pointed at deliberately broken cores, must say so: the
// checkers are worth only the bugs they are shown to catch end to end.
import { describe, expect, it } from 'vitest'
import type { PutBody } from '../../protocol/event.js'
import type { SyncMessage } from '../../protocol/messages.js'
import type { Rule } from '../../protocol/rules.js'
import { Replica } from '../../protocol/replica.js'
import type { ReplicaFactory } from '../../sim/node.js'
import { runSim } from '../../sim/run.js'
import type { ClusterInit } from '../../sim/cluster.js'
import { initialRole } from '../../sim/federation/federation.js'
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

/**
 * A core whose fold is last-writer-wins whatever the rules: the greatest version of every key wins, so a
 * later create beats the first, and a conditional delete counts against any version. (The judge is
 * private to the core's state; a test of the checkers may reach it, nothing else does.)
 */
const lastWriterWins: ReplicaFactory = (init, components, snapshot) => {
  const r = new Replica(init, components, snapshot)
  const state = (r as unknown as { state: { judge?: { winner: (versions: readonly unknown[]) => number } } }).state
  if (state.judge !== undefined) state.judge.winner = () => 0
  return r
}

const rulesCluster = (nodes: number, rules: Rule[], over: Partial<ClusterInit> = {}): ReturnType<typeof cluster> => {
  const c = cluster(nodes, { federation: { roleOf: initialRole }, rules: true, ...over }, { createReplica: lastWriterWins })
  c.writeRules(rules)
  c.runFor(300)
  return c
}
const put = (key: string, byte: number): PutBody => ({ kind: 'put', key, digest: new Uint8Array(32).fill(byte), size: 1, props: {} })

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

  it('a core whose fold is last-writer-wins: a later create of an immutable key wins, and the immutable checker says so', () => {
    const c = rulesCluster(5, [{ prefix: 'rel/', immutable: true }])
    c.isolate([0, 1], [2, 3, 4])
    c.write(1, put('rel/app', 1))
    c.runFor(5)
    c.write(4, put('rel/app', 2))
    c.runFor(500)
    c.heal()
    settle(c, 10_000)
    const v = c.check()
    expect(v.map(x => x.check)).toContain('immutable')
    expect(v.find(x => x.check === 'immutable')?.message).toMatch(/the first create is put .* n1:/)
  })

  it('the same core lets a Byzantine writer overwrite an acknowledged create, and the immutable checker says so', () => {
    const c = rulesCluster(5, [{ prefix: 'rel/', immutable: true }], { replica: { ackEveryRounds: 1 }, federation: { roleOf: initialRole, byzantine: [{ node: 2, attacks: [] }] } })
    c.write(4, put('rel/model', 1))
    for (let t = 0; t < 20_000 && !c.immutableWatch.acknowledged.has('rel/model'); t += 100) { c.runFor(100); c.watchRules() }
    const r = c.node(2).replica
    if (r === undefined) throw new Error('n2 is down')
    c.adversaries.get(2)?.overwrite(r, 'put', 'rel/model')
    settle(c, 10_000)
    expect(c.check().find(x => x.check === 'immutable')?.message).toMatch(/rel\/model was acknowledged as put .* n4:1 .* but n\d ends with put .* n2:/)
  })

  it('the same core counts a conditional delete against any version: retention removes a republished key, and the retention checker says so', () => {
    const c = rulesCluster(4, [{ prefix: 'snap/', retention: { keep: 1 } }])
    c.write(2, put('snap/a/1', 1))
    c.runFor(500)
    const seen = c.node(0).replica?.get('snap/a/1')
    if (seen === undefined) throw new Error('snap/a/1 did not arrive')
    c.isolate([0], [1, 2, 3])
    c.write(2, put('snap/a/1', 2))
    c.runFor(20)
    c.write(0, { kind: 'delete', key: 'snap/a/1', ifVersion: seen.id })
    c.runFor(500)
    c.heal()
    settle(c, 10_000)
    expect(c.check().find(x => x.check === 'retention')?.message).toMatch(/though the version before it is not the one it names/)
  })

  it('the same core fails seeded runs of the rules scenario', () => {
    const failed = [1, 2, 3, 4, 5].map(seed => runSim({ seed, scenario: 'rules', nodes: 5, writes: 40, durationMs: 2000 }, { createReplica: lastWriterWins }))
    expect(failed.flatMap(r => r.violations.map(v => v.check))).toContain('immutable')
  })
})
