// The CLI's one-line progress display.
import { describe, expect, it } from 'vitest'
import { PROGRESS_EVERY_MS, ProgressLine, transferText } from '../../../cli/progress-line.js'

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
