// Global options before and after the command (cli/argv.ts, run.ts), as in git, docker and kubectl,
// and what bare `mycel`, help and version print where. No daemon runs: `status` on an empty data dir
// fails with "no mycel daemon is running for DIR", which shows which dir and output mode it took.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { splitArgv } from '../../../cli/argv.js'
import { missingNodeFlags } from '../../../cli/node-flags.js'
import { run } from '../../../cli/run.js'
import { VERSION } from '../../../cli/version.js'

async function capture (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { out: { write: t => { out += t } }, err: { write: t => { err += t } }, env: {}, isTTY: false })
  return { code, out, err }
}

describe('global options', () => {
  let dir: string
  let other: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mycel-globals-'))
    other = await mkdtemp(join(tmpdir(), 'mycel-globals-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
    await rm(other, { recursive: true, force: true })
  })

  it.each([
    [['--dir', 'D', 'status']],
    [['status', '--dir', 'D']],
    [['--dir=D', 'status']],
    [['--json', '--dir', 'D', 'status']],
    [['status', '--json', '--dir=D']]
  ])('--dir works before and after the command: %j', async (argv) => {
    const { code, out, err } = await capture(argv.map(a => a.replace('D', dir)))
    expect(code).toBe(1)
    const text = argv.includes('--json') ? (JSON.parse(out) as { error: { message: string } }).error.message : err
    expect(text).toContain(`no mycel daemon is running for ${dir}`)
    if (argv.includes('--json')) expect(err).toBe('')
  })

  it('the same option after the command wins over the one before it', async () => {
    const { err } = await capture(['--dir', dir, 'status', '--dir', other])
    expect(err).toContain(`running for ${other}`)
  })

  it('--help and --version before or after the command', async () => {
    for (const argv of [['--help', 'ls'], ['ls', '--help'], ['help', 'ls'], ['-h', 'ls']]) {
      const { code, out } = await capture(argv)
      expect(code, argv.join(' ')).toBe(0)
      expect(out).toMatch(/^usage: mycel ls/)
    }
    for (const argv of [['--version'], ['-v'], ['version'], ['status', '--version'], ['--dir', dir, '--version']]) {
      const { code, out } = await capture(argv)
      expect(code, argv.join(' ')).toBe(0)
      expect(out).toBe(`${VERSION}\n`)
    }
  })

  it('bare mycel is a usage error: exit 2, usage on stderr; asked-for help is on stdout, exit 0', async () => {
    const bare = await capture([])
    expect(bare.code).toBe(2)
    expect(bare.out).toBe('')
    expect(bare.err).toMatch(/usage: mycel \[--dir DIR\] \[--json\] <command>/)
    expect((await capture(['--dir', dir])).code).toBe(2)
    const asked = await capture(['--help'])
    expect(asked.code).toBe(0)
    expect(asked.out).toContain('commands:')
  })

  it('before the command only global options are taken; a missing value is a usage error', async () => {
    const unknown = await capture(['--bogus', 'status'])
    expect(unknown.code).toBe(2)
    expect(unknown.err).toContain("unknown option '--bogus' before the command")
    expect((await capture(['--prop', 'a=b', 'publish'])).code).toBe(2)
    const noValue = await capture(['--dir'])
    expect(noValue.code).toBe(2)
    expect(noValue.err).toContain("'--dir' needs a value")
  })

  it('splitArgv finds the command after global options and their values', () => {
    expect(splitArgv(['--dir', 'sim', 'ls', '-x'])).toEqual({ before: ['--dir', 'sim'], command: 'ls', rest: ['-x'] })
    expect(splitArgv(['--json', '--', 'status'])).toEqual({ before: ['--json'], command: 'status', rest: [] })
    // The node flags a command wants follow the same reading: here the command is sim, not --dir.
    expect(missingNodeFlags(['--dir', 'D', 'sim'], [], {})).toEqual(['--max-semi-space-size=64'])
    expect(missingNodeFlags(['--dir', 'sim', 'ls'], [], {})).toEqual([])
    expect(missingNodeFlags(['constructor'], [], {})).toEqual([])
  })
})
