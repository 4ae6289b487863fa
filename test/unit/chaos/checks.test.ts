// The chaos checkers over synthetic histories: each promise is caught when
// broken, and not raised when a write's outcome is merely unknown.
import { describe, expect, it } from 'vitest'
import { checkHistory, type FinalEntry } from '../../../tools/chaos/checks.js'
import { Violations, type WriteRecord } from '../../../tools/chaos/history.js'

const put = (key: string, digest: string, stamp: string, author: string, outcome: WriteRecord['outcome'] = 'acked'): WriteRecord =>
  ({ op: 'put', key, node: 0, digest, startMs: Number(stamp.split('.')[0]) - 1, endMs: Number(stamp.split('.')[0]) + 1, outcome, ...(outcome === 'acked' ? { stamp, author } : {}) })
const del = (key: string, stamp: string, author: string, outcome: WriteRecord['outcome'] = 'acked', endMs = Number(stamp.split('.')[0]) + 1): WriteRecord =>
  ({ op: 'delete', key, node: 1, startMs: endMs - 2, endMs, outcome, ...(outcome === 'acked' ? { stamp, author } : {}) })
const entry = (key: string, digest: string, stamp: string, author: string): FinalEntry => ({ key, digest, stamp, author })

function check (final: FinalEntry[], writes: WriteRecord[]): string[] {
  const v = new Violations()
  checkHistory(final, writes, v)
  return v.list.map(x => x.check)
}

describe('chaos checks', () => {
  it('accepts the newest acknowledged write as the final state', () => {
    expect(check([entry('k/1', 'd2', '200.0', 'B')], [put('k/1', 'd1', '100.0', 'A'), put('k/1', 'd2', '200.0', 'B')])).toEqual([])
    expect(check([], [put('k/1', 'd1', '100.0', 'A'), del('k/1', '150.0', 'B')])).toEqual([])
  })

  it('flags an acknowledged put that lost to an older version', () => {
    expect(check([entry('k/1', 'd1', '100.0', 'A')], [put('k/1', 'd1', '100.0', 'A'), put('k/1', 'd2', '200.0', 'B')])).toEqual(['lost-write'])
  })

  it('flags an acknowledged put that is gone with no delete that could be newer', () => {
    expect(check([], [put('k/1', 'd1', '100.0', 'A')])).toEqual(['lost-write'])
    // a delete that ended before the put began cannot be newer
    expect(check([], [del('k/1', '0.0', 'B', 'unknown', 50), put('k/1', 'd1', '100.0', 'A')])).toEqual(['lost-write'])
    // one cut off by a kill after the put began may be
    expect(check([], [put('k/1', 'd1', '100.0', 'A'), del('k/1', '0.0', 'B', 'unknown', 120)])).toEqual([])
  })

  it('flags a deleted key that came back with an older version', () => {
    expect(check([entry('k/1', 'd1', '100.0', 'A')], [put('k/1', 'd1', '100.0', 'A'), del('k/1', '150.0', 'B')])).toEqual(['resurrected'])
  })

  it('flags values the workload never wrote, and accepts an unknown write that landed', () => {
    expect(check([entry('k/9', 'dx', '100.0', 'A')], [])).toEqual(['phantom'])
    expect(check([entry('k/1', 'dx', '100.0', 'A')], [put('k/1', 'd1', '100.0', 'A')])).toEqual(['phantom'])
    expect(check([entry('k/1', 'd2', '300.0', 'A')], [put('k/1', 'd1', '100.0', 'A'), put('k/1', 'd2', '0.0', '', 'unknown')])).toEqual([])
  })

  it('orders equal stamps by author, as the core does', () => {
    expect(check([entry('k/1', 'd2', '100.0', 'B')], [put('k/1', 'd1', '100.0', 'A'), put('k/1', 'd2', '100.0', 'B')])).toEqual([])
    expect(check([entry('k/1', 'd1', '100.0', 'A')], [put('k/1', 'd1', '100.0', 'A'), put('k/1', 'd2', '100.0', 'B')])).toEqual(['lost-write'])
  })
})
