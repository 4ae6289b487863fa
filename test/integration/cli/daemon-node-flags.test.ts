// `mycel daemon` replaces its own process with itself under a small V8 young generation
// (cli/node-flags.ts): the process the caller spawned, same pid, runs with the flag, and a size the
// user chose in NODE_OPTIONS is kept.
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Node } from '../../helpers/daemons.js'

const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(a => a !== '')

describe('mycel daemon and its node flags', () => {
  let node: Node | undefined
  afterEach(async () => { await node?.destroy(); node = undefined })

  it('runs under --max-semi-space-size=4 in the very process that was spawned', async () => {
    node = await Node.create()
    await node.start()
    const args = cmdline(node.proc?.pid as number)
    expect(args).toContain('--max-semi-space-size=4')
    expect(args.slice(args.indexOf('--max-semi-space-size=4') + 1)).toContain('daemon')
    expect((await node.api('GET', '/v1/status')).status).toBe(200)
  })

  it("keeps the user's own size from NODE_OPTIONS", async () => {
    node = await Node.create()
    await node.start([], 20_000, { NODE_OPTIONS: '--max-semi-space-size=16' })
    expect(cmdline(node.proc?.pid as number).some(a => a.startsWith('--max-semi-space-size'))).toBe(false)
  })
})
