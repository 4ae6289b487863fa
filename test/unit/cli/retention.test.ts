// `mycel retention`: its usage errors (exit 2, before any daemon is asked) and the text a person reads.
import { describe, expect, it } from 'vitest'
import { planText, runText } from '../../../cli/commands/retention.js'
import { run } from '../../../cli/run.js'
import type { RetentionDeleteInfo, RetentionPlanInfo, RetentionRuleInfo } from '../../../daemon/api/contract.js'

async function capture (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { out: { write: t => { out += t } }, err: { write: t => { err += t } }, env: { MYCEL_DIR: '/nonexistent/mycel' }, isTTY: false })
  return { code, out, err }
}

const rule: RetentionRuleInfo = { prefix: 'snapshots/', keep: 3, maxAgeMs: 30 * 86_400_000, deletes: 'allow', keys: 10, folders: 1, due: 2, runner: { peerId: '12D3KooWabcdefghijklmnop', name: 'site-b', self: false }, candidates: 3, blocked: null, runsHere: true }
const del = (key: string, rank: number): RetentionDeleteInfo => ({ key, version: 'ab'.repeat(32), stamp: '1700000000000.0', author: 'x', rule: 'snapshots/', folder: 'snapshots/app/', rank, ageMs: 40 * 86_400_000, reasons: ['keep', 'maxAge'] })

describe('mycel retention', () => {
  it('usage errors exit 2', async () => {
    expect((await capture(['retention'])).code).toBe(2)
    expect((await capture(['retention', 'purge'])).code).toBe(2)
    const r = await capture(['retention', 'run', '--rules', 'x.json'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('--rules is for plan')
  })

  it('plan: the rules as a table, the deletes with their reasons, the last run', () => {
    const plan: RetentionPlanInfo = { atMs: 1_700_000_060_000, given: false, rules: [rule, { ...rule, prefix: 'models/', keep: 1, maxAgeMs: null, deletes: 'refuse', due: 4, runner: null, candidates: 0, blocked: 'its rule refuses deletes (deletes: refuse)', runsHere: false }], deletes: [del('snapshots/app/1', 10), del('snapshots/app/2', 9)], more: 0, lastRun: { atMs: 1_700_000_000_000, trigger: 'automatic', deleted: 5, skipped: 0, more: 0, error: null } }
    expect(planText(plan)).toBe([
      'RULE        KEEP  MAX AGE  KEYS            DUE  RUNNER',
      'snapshots/  3     30d      10 in 1 folder  2    site-b',
      'models/     1     -        10 in 1 folder  4    none: its rule refuses deletes (deletes: refuse)',
      '',
      'would delete 2 keys:',
      '  snapshots/app/1  #10 in snapshots/app/, 40 d old  (beyond the newest 3 and older than 30d)',
      '  snapshots/app/2  #9 in snapshots/app/, 40 d old  (beyond the newest 3 and older than 30d)',
      '',
      'last run here: 60 s ago (automatic): deleted 5',
      ''
    ].join('\n'))
    expect(planText({ ...plan, rules: [] })).toMatch(/^no retention rules/)
  })

  it('run: what was deleted, skipped, and left to others', () => {
    const text = runText({ atMs: 0, rules: [rule, { ...rule, prefix: 'releases/', deletes: 'admin', runsHere: false, runner: { peerId: 'p', name: 'hq', self: false } }], deleted: [del('snapshots/app/1', 10)], skipped: [{ key: 'snapshots/app/2', reason: 'a newer version was published since the plan' }], more: 3 })
    expect(text).toContain('deleted 1 key:\n  snapshots/app/1')
    expect(text).toContain('skipped snapshots/app/2: a newer version was published since the plan')
    expect(text).toContain('not run here: releases/ (only an admin may delete under it; it runs at hq)')
    expect(text).toContain('3 more due: the next run continues')
  })
})
