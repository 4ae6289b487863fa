// A regression warning (issue #22): each end-to-end figure of this run against the same figure in the
// last run recorded in BENCHMARKS.md (`--record`), printed when it is more than 15 % worse. Only the
// figures a user waits on, where lower is better (times and ratios against plain tools); a quick run
// is compared with nothing (its sizes differ). A warning, not a failure: the machine is shared.

import { readFile } from 'node:fs/promises'
import type { BenchResult } from './result.js'

export const REGRESSION_FRACTION = 0.15
/** Names compared: whole commands and user-visible latencies. */
const WATCHED = /^(cli-start-.*ms|fetch-local-.*|fetch-e2e-.*|publish-e2e-.*|publish-to-visible-.*)$/

/** name → value of the last recorded table in `markdown` (the last `## …` section holding a results table). */
export function lastRecorded (markdown: string): Map<string, number> {
  const sections = markdown.split(/\n## /)
  for (let i = sections.length - 1; i >= 0; i--) {
    const rows = new Map<string, number>()
    for (const line of (sections[i] as string).split('\n')) {
      const m = /^\| ([a-z0-9-]+) \| (-?[0-9.e+]+) \|/.exec(line)
      if (m !== null) rows.set(m[1] as string, Number(m[2]))
    }
    if (rows.size > 0) return rows
  }
  return new Map()
}

/** Warning lines for watched figures more than 15 % above their last recorded value. */
export function regressions (results: BenchResult[], recorded: Map<string, number>): string[] {
  const out: string[] = []
  for (const r of results) {
    if (r.value === null || !WATCHED.test(r.name)) continue
    const before = recorded.get(r.name)
    if (before === undefined || !(before > 0)) continue
    if (r.value > before * (1 + REGRESSION_FRACTION)) {
      out.push(`warning: ${r.name} is ${r.value} ${r.unit}, ${Math.round((r.value / before - 1) * 100)} % worse than the last recorded run (${before})`)
    }
  }
  return out
}

export async function regressionWarnings (results: BenchResult[], file = 'BENCHMARKS.md'): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return regressions(results, lastRecordedWith(text, results))
}

/** The last recorded value of each result's name, looking back past sections that lack it (a run with --only). */
function lastRecordedWith (markdown: string, results: BenchResult[]): Map<string, number> {
  const out = new Map<string, number>()
  const sections = markdown.split(/\n## /).reverse()
  for (const r of results) {
    for (const section of sections) {
      const v = lastRecorded('\n## ' + section).get(r.name)
      if (v !== undefined) { out.set(r.name, v); break }
    }
  }
  return out
}
