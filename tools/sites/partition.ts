// Partition and heal on real links: the trunk between the two halves of the network goes down
// (`ip link set down`), both halves write meanwhile — new keys, deletes of keys written before, and
// overwrites of others — and the trunk comes back. Measured: the time from the heal until every site
// shows exactly the expected keys (sites-heal-s); checked: nothing lost, nothing resurrected.

import type { Fleet } from './fleet.js'
import { equals, round, type ScenarioResult } from './report.js'
import { viewOf, whenEach } from './waits.js'
import { damage, inParallel, put, remove, showsExactly, type Expected } from './writes.js'

const BEFORE = 20
const CONCURRENCY = 8
const CONVERGE_TIMEOUT_MS = 180_000
/**
 * How long the halves stay apart at least: beyond libp2p's connection monitor (a ping every 10 s, the
 * connection aborted when one fails), so the heal is a real reconnection, not TCP retransmitting into
 * connections that never noticed.
 */
export const DEFAULT_HOLD_S = 30

export async function partition (fleet: Fleet, options: { writes: number, holdS: number }): Promise<ScenarioResult> {
  const sites = fleet.sites
  const halves = [sites.filter(s => s.net.half === 0), sites.filter(s => s.net.half === 1)]
  if (halves[1].length === 0) throw new Error('partition needs at least 2 sites')
  const expected: Expected = new Map()
  for (let j = 0; j < BEFORE; j++) expected.set(`part/before/${j}`, await put(sites[0], `part/before/${j}`, `before ${j}`))
  await whenEach('before the partition, every site shows the first keys', sites, async s => await showsExactly(s, 'part/', expected), performance.now(), CONVERGE_TIMEOUT_MS)

  await fleet.topology.trunk(false)
  const cutAt = performance.now()
  await inParallel(options.writes, CONCURRENCY, async i => {
    const half = halves[i % 2]
    const key = `part/during/${i}`
    expected.set(key, await put(half[Math.floor(i / 2) % half.length], key, `during ${i}`))
  })
  // One half deletes half of the keys written before; the other overwrites the rest.
  for (let j = 0; j < BEFORE; j++) {
    const key = `part/before/${j}`
    if (j < BEFORE / 2) { await remove(halves[0][j % halves[0].length], key); expected.set(key, null) } else expected.set(key, await put(halves[1][j % halves[1].length], key, `overwritten ${j}`))
  }
  // The partition is real: each half shows its own writes and none of the other half's.
  const own = halves.map(half => new Map([...expected].filter(([key]) => {
    const i = /^part\/during\/(\d+)$/.exec(key)?.[1]
    return i === undefined || halves[Number(i) % 2] === half
  })))
  let leaked = 0
  for (const [h, half] of halves.entries()) {
    await whenEach(`during the partition, half ${h} shows its own writes`, half, async s => {
      const view = await viewOf(s, 'part/during/')
      return [...own[h]].every(([key, digest]) => !key.startsWith('part/during/') || view.get(key) === digest)
    }, performance.now(), CONVERGE_TIMEOUT_MS)
    for (const s of half) for (const key of (await viewOf(s, 'part/during/')).keys()) if (!own[h].has(key)) leaked++
  }
  const holdMs = options.holdS * 1000 - (performance.now() - cutAt)
  if (holdMs > 0) await new Promise(resolve => setTimeout(resolve, holdMs))
  const partitionedS = (performance.now() - cutAt) / 1000

  await fleet.topology.trunk(true)
  const healAt = performance.now()
  let healS: number | undefined
  let error: string | undefined
  try {
    const at = await whenEach('after the heal, every site shows exactly the expected keys', sites, async s => await showsExactly(s, 'part/', expected), healAt, CONVERGE_TIMEOUT_MS)
    healS = Math.max(...at.values()) / 1000
  } catch (err) {
    error = (err as Error).message
  }
  const d = await damage(sites, 'part/', expected)
  return {
    figures: { writesDuringPartition: options.writes + BEFORE, partitionedS: round(partitionedS), 'sites-heal-s': healS === undefined ? null : round(healS), ...(error === undefined ? {} : { convergeError: error }) },
    checks: [
      { name: 'converged after heal', ok: healS !== undefined, value: healS === undefined ? 'no' : round(healS), target: `within ${CONVERGE_TIMEOUT_MS / 1000} s` },
      equals('writes that crossed the partition', leaked, 0),
      equals('lost writes', d.lost, 0),
      equals('resurrected deletes', d.resurrected, 0),
      equals('unexpected keys', d.unexpected, 0)
    ]
  }
}
