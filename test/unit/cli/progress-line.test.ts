// The CLI's one-line progress display.
import { describe, expect, it } from 'vitest'
import { PROGRESS_EVERY_MS, ProgressLine, transferText } from '../../../cli/progress-line.js'
import { peerSyncLines } from '../../../cli/status-sync.js'
import { drawsProgress, usesColour } from '../../../cli/terminal.js'

describe('ProgressLine', () => {
  it('redraws at most every PROGRESS_EVERY_MS unless forced, pads over a longer line and erases itself', () => {
    let now = 1000
    const out: string[] = []
    const line = new ProgressLine({ write: t => { out.push(t) } }, () => now)
    line.draw('first line')
    line.draw('too soon')
    now += PROGRESS_EVERY_MS
    line.draw('short')
    line.draw('forced', true)
    line.clear()
    expect(out).toEqual(['\rfirst line', '\rshort     ', '\rforced', '\r      \r'])
    line.clear()
    expect(out).toHaveLength(4)
  })

  it('transferText: bar, percent, MiB and MB/s; an empty file is 100 %', () => {
    expect(transferText(12 * 1024 * 1024, 24 * 1024 * 1024, 2)).toBe(`[${'#'.repeat(12)}${'.'.repeat(12)}] 50%  12.0/24.0 MiB  6.3 MB/s`)
    expect(transferText(0, 0, 0)).toMatch(/^\[#{24}\] 100%/)
  })
})

describe('what the CLI draws (cli/terminal.ts)', () => {
  const ctx = (isTTY: boolean, errIsTTY: boolean, env: NodeJS.ProcessEnv = {}, json = false): Parameters<typeof drawsProgress>[0] => ({ isTTY, errIsTTY, env, options: { json } })

  it('progress follows stderr: a terminal there, not a dumb one, and not for --json', () => {
    expect(drawsProgress(ctx(false, true))).toBe(true)
    expect(drawsProgress(ctx(true, false))).toBe(false)
    expect(drawsProgress(ctx(false, true, { TERM: 'dumb' }))).toBe(false)
    expect(drawsProgress(ctx(false, true, {}, true))).toBe(false)
    expect(transferText(10 * 1024 * 1024, undefined, 1)).toBe('10.0 MiB  10.5 MB/s')
  })

  it('colour only on a terminal stdout, and never with NO_COLOR set', () => {
    expect(usesColour(ctx(true, false))).toBe(true)
    expect(usesColour(ctx(true, false, { NO_COLOR: '1' }))).toBe(false)
    expect(usesColour(ctx(true, false, { NO_COLOR: '' }))).toBe(true) // the convention: set *and* non-empty
    expect(usesColour(ctx(false, true))).toBe(false)
    const peer = { peerId: 'P', lag: 0, behind: 0, ahead: 0, clockWarning: 'clock 50.0 s ahead of ours' }
    expect(peerSyncLines([peer], true).at(-1)).toBe('\x1b[33m      WARNING: clock 50.0 s ahead of ours\x1b[39m')
    expect(peerSyncLines([peer], false).at(-1)).toBe('      WARNING: clock 50.0 s ahead of ours')
  })
})
