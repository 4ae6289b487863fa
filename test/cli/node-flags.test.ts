import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { missingNodeFlags } from '../../cli/node-flags.js'
import { MAIN } from '../integration/harness.js'

describe('node flags per command', () => {
  it('mycel sim wants a larger young generation unless it already has one or was re-run', () => {
    expect(missingNodeFlags(['sim', '--nodes', '5'], [], {})).toEqual(['--max-semi-space-size=64'])
    expect(missingNodeFlags(['sim'], ['--max-semi-space-size=16'], {})).toEqual([])
    expect(missingNodeFlags(['sim'], [], { MYCEL_NODE_FLAGS_APPLIED: '1' })).toEqual([])
    expect(missingNodeFlags(['ls'], [], {})).toEqual([])
    expect(missingNodeFlags([], [], {})).toEqual([])
  })

  it('a reader that stops early (`mycel sim | head -1`) ends the run quietly with exit 0', async () => {
    const proc = spawn(process.execPath, [MAIN, 'sim', '--nodes', '5', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
    await new Promise<void>(resolve => proc.stdout.once('data', () => { proc.stdout.destroy(); resolve() }))
    const code = await new Promise<number | null>(resolve => proc.once('exit', c => resolve(c)))
    expect(stderr).not.toContain('EPIPE')
    expect(code).toBe(0)
  })
})
