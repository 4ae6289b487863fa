// The one duration parser (protocol/duration.ts): one rule everywhere — units ms, s, m, h, d; a bare
// number is seconds — and each place that reads a duration goes through it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../cli/run.js'
import { parseWaitFlag } from '../../../cli/commands/blob-download.js'
import { parseTimeout } from '../../../cli/wait-replicas.js'
import { validateConfig } from '../../../daemon/config.js'
import { formatDuration, parseDurationInRange, parseDurationMs } from '../../../protocol/duration.js'

describe('parseDurationMs', () => {
  it.each([
    ['500ms', 500], ['30s', 30_000], ['2m', 120_000], ['24h', 86_400_000], ['7d', 604_800_000],
    ['10', 10_000], ['1.5s', 1500], ['0.25', 250], [' 90s ', 90_000], ['0', 0]
  ])('%s is %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms)
  })

  it.each(['', 'soon', '-1s', '10 minutes', '1e3', '5y', 's', '1.', '9'.repeat(30)])('%j is a usage error naming the flag', text => {
    expect(() => parseDurationMs(text, '--wait')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('--wait') }))
  })

  it('ranges and the shortest exact text', () => {
    expect(() => parseDurationInRange('2d', '--timeout', 0, 86_400_000)).toThrow(/between 0s and 1d/)
    expect(parseDurationInRange('1d', '--timeout', 0, 86_400_000)).toBe(86_400_000)
    expect([formatDuration(86_400_000), formatDuration(90_000), formatDuration(1500), formatDuration(0)]).toEqual(['1d', '90s', '1500ms', '0s'])
  })
})

describe('every duration reads through it', () => {
  it('fetch --wait, publish --timeout and the config file take units (bare numbers are seconds)', () => {
    expect(parseWaitFlag('10s')).toBe(10)
    expect(parseWaitFlag('10')).toBe(10)
    expect(parseWaitFlag('2m')).toBe(120)
    expect(parseWaitFlag('0')).toBe(0)
    expect(() => parseWaitFlag('2d')).toThrow(/--wait must be between/)
    expect(parseTimeout('60')).toBe(60_000)
    expect(parseTimeout('500ms')).toBe(500)
    expect(validateConfig({ antiEntropyIntervalMs: '2s', blobGraceMs: '10m' }, 'config.json')).toEqual({ antiEntropyIntervalMs: 2000, blobGraceMs: 600_000 })
    // A JSON number in a …Ms field stays milliseconds, as the field's name says.
    expect(validateConfig({ antiEntropyIntervalMs: 250 }, 'config.json')).toEqual({ antiEntropyIntervalMs: 250 })
    expect(() => validateConfig({ blobGraceMs: 'later' }, 'config.json')).toThrow(/blobGraceMs" must be a duration/)
  })

  describe('through the CLI (no daemon: a duration it accepts gets as far as "no daemon", exit 1)', () => {
    let dir: string
    beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'mycel-durations-')) })
    afterAll(async () => { await rm(dir, { recursive: true, force: true }) })
    const mycel = async (argv: string[]): Promise<{ code: number, err: string }> => {
      let err = ''
      const code = await run([...argv, '--dir', dir], { out: { write: () => {} }, err: { write: t => { err += t } }, env: {}, isTTY: false })
      return { code, err }
    }

    it.each([
      [['fetch', 'k', '--wait', '10s']], [['fetch', 'k', '--wait', '10']], [['cat', 'k', '--wait', '1m']],
      [['publish', '/dev/null', 'k', '--wait-replicas', '1', '--timeout', '2m']], [['invite', '--ttl', '7d']], [['invite', '--ttl', '3600']]
    ])('%j is accepted', async argv => {
      const { code, err } = await mycel(argv)
      expect(err).toContain('no mycel daemon is running')
      expect(code).toBe(1)
    })

    it.each([
      [['fetch', 'k', '--wait', 'soon'], '--wait'], [['publish', '/dev/null', 'k', '--timeout', '1 min'], '--timeout'],
      [['invite', '--ttl', '0'], '--ttl'], [['sim', '--latency', 'fast'], '--latency']
    ])('%j is a usage error (exit 2)', async (argv, flag) => {
      const { code, err } = await mycel(argv)
      expect(code).toBe(2)
      expect(err).toContain(flag)
    })
  })
})
