// Which commands re-run themselves with node flags (cli/node-flags.ts); the
// re-run itself, with a real process, is test/integration/cli/sim-pipe.test.ts.
import { describe, expect, it } from 'vitest'
import { howToRerun, missingNodeFlags } from '../../../cli/node-flags.js'

describe('node flags per command', () => {
  it('mycel sim wants a larger young generation unless it already has one or was re-run', () => {
    expect(missingNodeFlags(['sim', '--nodes', '5'], [], {})).toEqual(['--max-semi-space-size=64'])
    expect(missingNodeFlags(['sim'], ['--max-semi-space-size=16'], {})).toEqual([])
    expect(missingNodeFlags(['sim'], [], { MYCEL_NODE_FLAGS_APPLIED: '1' })).toEqual([])
    expect(missingNodeFlags(['ls'], [], {})).toEqual([])
    expect(missingNodeFlags([], [], {})).toEqual([])
  })

  it('mycel daemon wants a small young generation unless the user chose a size, on node\'s command line or in NODE_OPTIONS', () => {
    expect(missingNodeFlags(['daemon', '--dir', 'd'], [], {})).toEqual(['--max-semi-space-size=4'])
    expect(missingNodeFlags(['--dir', 'd', 'daemon'], [], {})).toEqual(['--max-semi-space-size=4'])
    expect(missingNodeFlags(['daemon'], ['--trace-gc', '--max-semi-space-size=16'], {})).toEqual([])
    expect(missingNodeFlags(['daemon'], [], { NODE_OPTIONS: '--max-old-space-size=512 --max-semi-space-size=16' })).toEqual([])
    expect(missingNodeFlags(['daemon'], [], { NODE_OPTIONS: '--max-old-space-size=512' })).toEqual(['--max-semi-space-size=4'])
    expect(missingNodeFlags(['daemon'], [], { MYCEL_NODE_FLAGS_APPLIED: '1' })).toEqual([])
  })

  it('a daemon takes its flags only by replacing its process, never as a child a supervisor would not signal', () => {
    expect(howToRerun(['daemon'], true)).toBe('replace')
    expect(howToRerun(['daemon'], false)).toBe('as-is')
    expect(howToRerun(['sim'], true)).toBe('replace')
    expect(howToRerun(['sim'], false)).toBe('child')
  })
})
