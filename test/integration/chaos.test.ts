// A short chaos run on five real daemons inside `npm test` (≈30 s on 2 cores),
// and a check that the harness's link cut really cuts. Build first (`npm test`
// does): the daemons are dist/cli/main.js processes.
import { afterAll, describe, expect, it } from 'vitest'
import { until } from '../helpers/daemons.js'
import { ChaosCluster } from '../../tools/chaos/cluster.js'
import { runChaos } from '../../tools/chaos/run.js'

/** Faults phase of the in-suite run; start-up and the quiet period come on top (≈10 s together). */
const TEST_DURATION_MS = 18_000

describe('chaos on real processes', () => {
  const clusters: ChaosCluster[] = []
  afterAll(async () => { await Promise.all(clusters.map(async c => { await c.destroy(false) })) })

  it('a link cut closes the session both ways and a heal restores it', async () => {
    const cluster = await ChaosCluster.create(2)
    clusters.push(cluster)
    await cluster.start()
    const [a, b] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0]]
    const peersOf = async (n: typeof a): Promise<string[]> => (await n.node.api<{ peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body.peers.map(p => p.peerId)
    await until('A and B connected', async () => (await peersOf(a)).includes(b.peerId) && (await peersOf(b)).includes(a.peerId))
    await cluster.cut(a, b)
    await until('the cut closed both sessions', async () => (await peersOf(a)).length === 0 && (await peersOf(b)).length === 0)
    expect((await a.node.publish('k/cut', 'written during the cut')).status).toBe(201)
    await cluster.heal(a, b)
    await until('B has the write after the heal', async () => (await b.node.keys()).some(e => e.key === 'k/cut'))
    expect(await peersOf(a)).toContain(b.peerId)
  })

  it(`${TEST_DURATION_MS / 1000} s of kills, restarts, cuts and heals under load break no promise`, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000)
    const report = await runChaos({ seed, durationMs: TEST_DURATION_MS })
    const summary = `seed ${seed}: ${JSON.stringify({ ...report, violations: undefined })}`
    expect(report.violations, summary).toEqual([])
    expect(report.ok).toBe(true)
    // The run really did what it claims.
    expect(report.kills, summary).toBeGreaterThan(0)
    expect(report.cuts, summary).toBeGreaterThan(0)
    expect(report.acknowledged, summary).toBeGreaterThan(100)
    expect(report.convergedAfterHealMs, summary).not.toBeNull()
  }, 150_000)
})
