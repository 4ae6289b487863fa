// `mycel sim | head -1` against the built CLI in a real process: the reader
// stops early, and the run ends quietly (cli/node-flags.ts re-runs the command).
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { MAIN } from '../../helpers/daemons.js'

describe('node flags per command', () => {
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
