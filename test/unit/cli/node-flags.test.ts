// Which commands re-run themselves with node flags (cli/node-flags.ts); the
// re-run itself, with a real process, is test/integration/cli/sim-pipe.test.ts.
import { describe, expect, it } from 'vitest'
import { missingNodeFlags } from '../../../cli/node-flags.js'

describe('node flags per command', () => {
  it('mycel sim wants a larger young generation unless it already has one or was re-run', () => {
    expect(missingNodeFlags(['sim', '--nodes', '5'], [], {})).toEqual(['--max-semi-space-size=64'])
    expect(missingNodeFlags(['sim'], ['--max-semi-space-size=16'], {})).toEqual([])
    expect(missingNodeFlags(['sim'], [], { MYCEL_NODE_FLAGS_APPLIED: '1' })).toEqual([])
    expect(missingNodeFlags(['ls'], [], {})).toEqual([])
    expect(missingNodeFlags([], [], {})).toEqual([])
  })
})
