// Every daemon-facing command has --help, and the usage names the flags.
import { describe, expect, it } from 'vitest'
import { run } from '../../../cli/run.js'

async function capture (argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await run(argv, { out: { write: t => { out += t } }, err: { write: t => { err += t } }, env: {}, isTTY: false })
  return { code, out, err }
}

describe('CLI help', () => {
  it.each([
    ['daemon', ['--listen MULTIADDR', '--join TOKEN', '--join-file FILE', '--metrics-listen ADDR', '--log-level', '--dir DIR', '--json', '--version']],
    ['invite', ['--json', '--role ROLE', '--ttl DURATION', '--uses N', '(default: reader)']],
    ['fetch', ['--wait DURATION', 'a bare number is seconds']],
    ['completion', ['SHELL', 'bash or zsh']],
    ['join', ['TOKEN', '--via MULTIADDR']],
    ['members', ['--json']],
    ['revoke', ['PEERID']],
    ['publish', ['FILE KEY', '--prop k=v', '(repeatable)', '--wait-replicas N|all', '--wait-sites NAME,...', '--wait-group GROUP', 'exit 6']],
    ['sites', ['--json', 'unreachable', 'never-seen', 'site-down']],
    ['ls', ['[PREFIX]', '--limit N', '--after KEY', 'in key order']],
    ['rm', ['KEY']],
    ['retention', ['ACTION [PREFIX]', 'plan (a dry run: nothing is deleted) or run', '--rules FILE', 'Exit code 5', '--json']],
    ['status', ['lag']],
    ['peers', ['--json']],
    ['webhooks', ['[ACTION] [ID]', 'list (default), log, ping, or redeliver', '--webhook N', '--limit N', '--json']]
  ])('%s --help', async (name, needles) => {
    const { code, out } = await capture([name, '--help'])
    expect(code).toBe(0)
    expect(out).toMatch(new RegExp(`^usage: mycel ${name}`))
    for (const n of needles) expect(out).toContain(n)
  })

  it('an unknown flag is a usage error (exit 2)', async () => {
    const { code, err } = await capture(['ls', '--bogus'])
    expect(code).toBe(2)
    expect(err).toMatch(/bogus/)
  })
})
