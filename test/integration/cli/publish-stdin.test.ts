// `mycel publish - KEY` streams stdin to the daemon (chunked: its length is not known first), and the
// progress line follows stderr's terminal check, not stdout's (it is drawn on stderr).
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { run } from '../../../cli/run.js'
import { cli, MAIN, Node } from '../../helpers/daemons.js'

async function publishFromStdin (args: string[], input: Buffer): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawn(process.execPath, [MAIN, 'publish', '-', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  // Written in pieces, as a pipe delivers them.
  for (let at = 0; at < input.length; at += 256 * 1024) {
    if (!proc.stdin.write(input.subarray(at, at + 256 * 1024))) await new Promise(resolve => proc.stdin.once('drain', resolve))
  }
  proc.stdin.end()
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  return { code, stdout, stderr }
}

describe('publish from stdin, progress on stderr', () => {
  let a: Node
  beforeAll(async () => {
    a = await Node.create()
    await a.start()
  })
  afterAll(async () => { await a?.destroy() })

  it('publish - KEY stores the bytes read from stdin', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const res = await publishFromStdin(['piped/blob.bin', '--dir', a.dir, '--json', '--prop', 'from=stdin'], bytes)
    expect(res.code, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout) as { key: string, digest: string, size: number, props: Record<string, string> }
    expect(out).toMatchObject({ key: 'piped/blob.bin', size: bytes.length, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, props: { from: 'stdin' } })
    const back = await cli(['fetch', 'piped/blob.bin', '-o', join(a.dir, 'back.bin'), '--dir', a.dir, '--json'])
    expect(JSON.parse(back.stdout)).toMatchObject({ digest: out.digest, size: bytes.length })
  })

  it('an empty stdin publishes an empty blob; a missing FILE is still a usage error', async () => {
    const res = await publishFromStdin(['piped/empty', '--dir', a.dir, '--json'], Buffer.alloc(0))
    expect(res.code, res.stderr).toBe(0)
    expect(JSON.parse(res.stdout)).toMatchObject({ size: 0 })
    expect((await cli(['publish', join(a.dir, 'nope'), 'k', '--dir', a.dir])).code).toBe(2)
  })

  it('the progress line is drawn when stderr is a terminal, whatever stdout is', async () => {
    const file = join(a.dir, 'progress.bin')
    await writeFile(file, randomBytes(512 * 1024))
    const publish = async (isTTY: boolean, errIsTTY: boolean, env: NodeJS.ProcessEnv = {}): Promise<string> => {
      let err = ''
      const code = await run(['publish', file, `tty/${String(isTTY)}-${String(errIsTTY)}`, '--dir', a.dir], { out: { write: () => {} }, err: { write: t => { err += t } }, env, isTTY, errIsTTY })
      expect(code).toBe(0)
      return err
    }
    expect(await publish(false, true)).toMatch(/\r\[#+\] 100% {2}0\.5\/0\.5 MiB/)
    expect(await publish(true, false)).toBe('')
    expect(await publish(false, true, { TERM: 'dumb' })).toBe('')
  })
})
