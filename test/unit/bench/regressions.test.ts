// npm run bench warns when a figure the user waits on is more than 15 % worse than the last recorded
// run (issue #22): the parsing of BENCHMARKS.md's tables and the comparison.
import { describe, expect, it } from 'vitest'
import { lastRecorded, regressions } from '../../../tools/bench/regressions.js'

const md = `# Benchmarks

## 2026-12-01 10:00 UTC

| name | value | unit | target | note |
| --- | --- | --- | --- | --- |
| cli-start-ms | 100 | ms | <= 120 ✓ | |
| publish-1kib-per-s | 700 | publishes/s | | |

## 2026-12-02 10:00 UTC

| name | value | unit | target | note |
| --- | --- | --- | --- | --- |
| cli-start-ms | 90 | ms | <= 120 ✓ | |
| fetch-local-1gib-ratio | 2.5 | × cp | <= 1.2 ✗ missed | |
`

describe('bench regression warnings', () => {
  it('reads the last recorded table', () => {
    expect([...lastRecorded(md)]).toEqual([['cli-start-ms', 90], ['fetch-local-1gib-ratio', 2.5]])
  })

  it('warns past 15 % worse, only for the figures a user waits on', () => {
    const recorded = lastRecorded(md)
    recorded.set('publish-1kib-per-s', 700)
    const lines = regressions([
      { name: 'cli-start-ms', value: 105, unit: 'ms' }, // 17 % worse
      { name: 'fetch-local-1gib-ratio', value: 2.8, unit: '× cp' }, // 12 %: within noise
      { name: 'publish-1kib-per-s', value: 100, unit: 'publishes/s' }, // not watched (higher is better)
      { name: 'publish-e2e-1gib-ratio', value: 9, unit: '×' } // never recorded
    ], recorded)
    expect(lines).toEqual(['warning: cli-start-ms is 105 ms, 17 % worse than the last recorded run (90)'])
  })
})
