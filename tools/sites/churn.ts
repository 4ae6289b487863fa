// Churn: sites are killed (SIGKILL, no clean shutdown) one after another while the others write, then
// restarted on their data dirs. Measured: how long each restarted site takes to show every key
// (churn-catchup-s, the slowest, from its restart to showing every key); checked: every site ends with exactly the keys written.

import type { Fleet } from './fleet.js'
import { equals, round, type ScenarioResult } from './report.js'
import { whenEach } from './waits.js'
import { damage, inParallel, put, showsExactly, type Expected } from './writes.js'

const CONCURRENCY = 8
const CONVERGE_TIMEOUT_MS = 180_000
const MAX_VICTIMS = 3

export async function churn (fleet: Fleet, options: { writes: number }): Promise<ScenarioResult> {
  const sites = fleet.sites
  if (sites.length < 2) throw new Error('churn needs at least 2 sites')
  const victims = sites.slice(1, 1 + Math.min(MAX_VICTIMS, sites.length - 1))
  const expected: Expected = new Map()
  const catchup: Record<string, number> = {}
  let written = 0
  for (const [n, victim] of victims.entries()) {
    await fleet.kill(victim)
    const others = sites.filter(s => s !== victim)
    const share = Math.floor(options.writes / victims.length) + (n < options.writes % victims.length ? 1 : 0)
    await inParallel(share, CONCURRENCY, async i => {
      const key = `churn/${written + i}`
      expected.set(key, await put(others[i % others.length], key, `churn ${written + i}`))
    })
    written += share
    const restartedAt = performance.now()
    await fleet.restart(victim)
    const at = await whenEach(`${victim.name} catches up after its restart`, [victim], async s => await showsExactly(s, 'churn/', expected), restartedAt, CONVERGE_TIMEOUT_MS)
    catchup[victim.name] = round((at.get(victim) ?? 0) / 1000)
  }
  await whenEach('every site shows exactly the keys written', sites, async s => await showsExactly(s, 'churn/', expected), performance.now(), CONVERGE_TIMEOUT_MS)
  const d = await damage(sites, 'churn/', expected)
  return {
    figures: { writes: written, killed: victims.map(v => v.name), catchupS: catchup, 'churn-catchup-s': Math.max(...Object.values(catchup)) },
    checks: [equals('lost writes', d.lost, 0), equals('unexpected keys', d.unexpected, 0)]
  }
}
