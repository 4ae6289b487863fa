// Many processes: every site publishes its share of N small artifacts at once; measured is the time
// from the first publish until every site lists all N (metadata only: replication is on-demand), and
// each daemon's memory (the harness reports it for every scenario).

import type { Fleet } from './fleet.js'
import { equals, round, type ScenarioResult } from './report.js'
import { whenEach } from './waits.js'
import { damage, inParallel, put, showsExactly, type Expected } from './writes.js'

const CONCURRENCY = 16
const CONVERGE_TIMEOUT_MS = 300_000

export async function metadata (fleet: Fleet, options: { publishes: number }): Promise<ScenarioResult> {
  const sites = fleet.sites
  const expected: Expected = new Map()
  const started = performance.now()
  await inParallel(options.publishes, CONCURRENCY, async i => {
    const key = `meta/${i}`
    expected.set(key, await put(sites[i % sites.length], key, `artifact ${i}`))
  })
  const publishedS = (performance.now() - started) / 1000
  const at = await whenEach(`every site lists all ${options.publishes} keys`, sites, async s => await showsExactly(s, 'meta/', expected), started, CONVERGE_TIMEOUT_MS)
  const d = await damage(sites, 'meta/', expected)
  return {
    figures: {
      publishes: options.publishes,
      publishS: round(publishedS),
      publishesPerS: round(options.publishes / publishedS, 1),
      'sites-converge-s': round(Math.max(...at.values()) / 1000),
      /** From the last publish answered to every site listing every key. */
      convergeAfterLastS: round(Math.max(0, Math.max(...at.values()) / 1000 - publishedS))
    },
    checks: [equals('lost writes', d.lost, 0), equals('unexpected keys', d.unexpected, 0)]
  }
}
