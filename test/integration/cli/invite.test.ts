// `mycel invite` and the ways a token reaches a new node: piped, invite prints the token alone
// (`TOKEN=$(mycel invite)`); on a terminal, a sentence and the join command; the default role is the
// least privilege (reader); `daemon --join-file FILE` and `--join -` (stdin) keep the token out of `ps`.
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../cli/run.js'
import { cli, Node } from '../../helpers/daemons.js'

const TOKEN = /^mycel2[A-Za-z0-9_-]+$/

describe('invite output, default role and token sources', () => {
  let a: Node
  const others: Node[] = []
  beforeAll(async () => {
    a = await Node.create()
    await a.start()
  })
  afterAll(async () => { await Promise.all([a?.destroy(), ...others.map(async n => await n.destroy())]) })

  it('piped, invite prints only the token; --json says the default role is reader', async () => {
    const piped = await cli(['invite', '--dir', a.dir])
    expect(piped.code).toBe(0)
    expect(piped.stdout.endsWith('\n')).toBe(true)
    expect(piped.stdout.trimEnd()).toMatch(TOKEN)
    expect(piped.stdout.trimEnd().split('\n')).toHaveLength(1)
    const json = await cli(['invite', '--dir', a.dir, '--json'])
    expect(JSON.parse(json.stdout)).toMatchObject({ token: expect.stringMatching(TOKEN), role: 'reader', uses: 1 })
  })

  it('on a terminal, invite explains the token and gives the command a new site runs', async () => {
    let out = ''
    const code = await run(['invite', '--dir', a.dir, '--uses', '2'], { out: { write: t => { out += t } }, err: { write: () => {} }, env: {}, isTTY: true })
    expect(code).toBe(0)
    const [token, blank, sentence] = out.split('\n')
    expect(token).toMatch(TOKEN)
    expect(blank).toBe('')
    expect(sentence).toMatch(/^reader, valid until \S+, for 2 node\(s\)/)
    expect(out).toContain('mycel daemon --join-file FILE')
  })

  it('daemon --join-file FILE joins with the token from the file, which never shows on its command line', async () => {
    const token = (await cli(['invite', '--dir', a.dir])).stdout
    const b = await Node.create()
    others.push(b)
    const file = join(b.dir, 'invite.token')
    await writeFile(file, token) // with its newline, as `mycel invite > FILE` writes it
    await b.start(['--join-file', file])
    expect(b.ready?.federation).toBe(a.ready?.federation)
    expect((await b.api<{ role: string }>('GET', '/v1/status')).body.role).toBe('reader')
    const cmdline = await readFile(`/proc/${b.proc?.pid as number}/cmdline`, 'utf8')
    expect(cmdline).not.toContain(token.trim())
    await rm(file)
  })

  it('daemon --join - reads the token from stdin; a missing token file is a usage error (exit 2)', async () => {
    const c = await Node.create()
    others.push(c)
    c.stdinText = (await cli(['invite', '--dir', a.dir, '--role', 'writer'])).stdout
    await c.start(['--join', '-'])
    expect((await c.api<{ role: string }>('GET', '/v1/status')).body.role).toBe('writer')
    const d = await Node.create()
    others.push(d)
    const missing = await cli(['daemon', '--dir', d.dir, '--join-file', join(d.dir, 'nope')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('cannot read the token file')
    const both = await cli(['daemon', '--dir', d.dir, '--join', 'x', '--join-file', 'y'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('not both')
  })
})
