// A regression warning (issue #22): each end-to-end figure of this run against the same figure in the
// last run recorded in BENCHMARKS.md (`--record`), printed when it is more than 15 % worse. Only the
// figures a user waits on, where lower is better (times and ratios against plain tools); a quick run
// is compared with nothing (its sizes differ). A warning, not a failure: the machine is shared.

import { readFile } from 'node:fs/promises'
import type { BenchResult } from './result.js'

export const REGRESSION_FRACTION = 0.15
/** Names compared: whole commands and user-visible latencies. */
const WATCHED = /^(cli-start-.*ms|fetch-local-.*|fetch-e2e-.*|publish-e2e-.*|publish-to-visible-.*|npm-install-.*)$/

/** The results tables of `markdown`'s `## …` sections, newest (last) first; sections without one are skipped. */
function recordedTables (markdown: string): Array<Map<string, number>> {
  const tables: Array<Map<string, number>> = []
  for (const section of markdown.split(/\n## /)) {
    const rows = new Map<string, number>()
    for (const line of section.split('\n')) {
      const m = /^\| ([a-z0-9-]+) \| (-?[0-9.e+]+) \|/.exec(line)
      if (m !== null) rows.set(m[1] as string, Number(m[2]))
    }
    if (rows.size > 0) tables.push(rows)
  }
  return tables.reverse()
}

/** name → value of the last recorded table in `markdown`. */
export function lastRecorded (markdown: string): Map<string, number> {
  return recordedTables(markdown)[0] ?? new Map()
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
  const tables = recordedTables(await readFile(file, 'utf8').catch(() => ''))
  // Each name's value in the newest run that has it (a run with --only records some names only).
  const recorded = new Map<string, number>()
  for (const r of results) {
    const v = tables.find(t => t.has(r.name))?.get(r.name)
    if (v !== undefined) recorded.set(r.name, v)
  }
  return regressions(results, recorded)
}
