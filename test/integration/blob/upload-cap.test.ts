// --max-upload-rate on real daemons: a capped holder serves no faster than its cap (a lower bound on
// the elapsed time, which pacing guarantees; not a performance figure), the bytes are intact, and a
// malformed rate is a usage error before the daemon starts.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cli, MAIN, Node, until } from '../../helpers/daemons.js'
import { execFile } from 'node:child_process'

const MB = 1_000_000
const MiB = 1024 * 1024

describe('upload cap', () => {
  const nodes: Node[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => { await n.destroy() })) })

  it('a holder capped at 2 MB/s serves 8 MiB in no less than the cap allows, and the bytes are intact', async () => {
    const a = await Node.create()
    const b = await Node.create({ replicate: 'on-demand' })
    nodes.push(a, b)
    await a.start(['--max-upload-rate', '2M'])
    expect(a.log).toMatch(/blob uploads capped.*2000000/)
    await b.start(['--join', await a.invite({ uses: 1 })])
    await until('B connected to A', async () => (await b.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length >= 1)
    const bytes = randomBytes(8 * MiB)
    const path = join(a.dir, 'capped.bin')
    await writeFile(path, bytes)
    expect((await cli(['publish', path, 'cap/capped.bin', '--dir', a.dir, '--json'])).code).toBe(0)
    await until('B has the metadata', async () => (await b.keys()).some(k => k.key === 'cap/capped.bin'))

    const out = join(b.dir, 'capped.out')
    const t0 = performance.now()
    const fetched = await cli(['fetch', 'cap/capped.bin', '-o', out, '--dir', b.dir, '--json'])
    const seconds = (performance.now() - t0) / 1000
    expect(fetched.code).toBe(0)
    expect((await readFile(out)).equals(bytes)).toBe(true)
    // One second's worth (2 MB) may leave at once; the rest at 2 MB/s.
    expect(seconds).toBeGreaterThanOrEqual((8 * MiB - 2 * MB) / (2 * MB))
  })

  it('a malformed rate, or one under 1 MB/s, is a usage error (exit 2) naming the flag or setting', async () => {
    const n = await Node.create()
    nodes.push(n)
    const run = async (rate: string): Promise<{ code: number | null, stderr: string }> => await new Promise(resolve => {
      execFile(process.execPath, [MAIN, 'daemon', '--dir', n.dir, '--max-upload-rate', rate], (err, _stdout, stderr) => {
        resolve({ code: err === null ? 0 : (err as { code?: number }).code ?? null, stderr })
      })
    })
    const malformed = await run('fast')
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toMatch(/--max-upload-rate/)
    const low = await run('500K')
    expect(low.code).toBe(2)
    expect(low.stderr).toMatch(/maxUploadBytesPerSec/)
  })
})
