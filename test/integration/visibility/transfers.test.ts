// Per-peer blob transfers in `mycel status` and blob bytes out in /metrics,
// against two real daemons: A holds its chunks back behind the test's serve gate
// (daemon/testing/serve-gate.ts) after the first four, B mirrors eagerly, so B's
// status shows an active transfer with A for as long as the test looks — not for
// as long as a slow link happens to last — and none once the gate opens and the
// bytes are held.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

interface Row { peerId: string, transfers: { pending: number, active: number, failed: number } | null }

describe('status: blob transfers per peer', () => {
  let a: Node, b: Node
  let gate: string
  const config = { blobChunkBytes: 64 * 1024 }

  beforeAll(async () => {
    a = await Node.create(config)
    b = await Node.create(config)
    gate = join(a.dir, 'serve-gate')
    await writeFile(gate, '4') // chunks 0..3 go out; the rest wait until the test opens the gate
    await a.start([], 20_000, { MYCEL_TEST_SERVE_GATE: gate })
    await b.start(['--join', await a.invite()])
    await until('A and B connected', async () => (await a.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length === 1)
  })
  afterAll(async () => { await Promise.all([a.destroy(), b.destroy()]) })

  it('shows an active transfer with the holder while bytes flow, none once they are held; A counts bytes out', async () => {
    const file = join(a.dir, 'big.bin')
    await writeFile(file, randomBytes(2 * 1024 * 1024)) // 32 chunks; A sends 4, then waits for the gate
    const row = async (): Promise<Row | undefined> => {
      const s = JSON.parse((await cli(['status', '--json', '--dir', b.dir])).stdout) as { peers: Row[] }
      return s.peers.find(p => p.peerId === a.ready?.peerId)
    }
    expect((await cli(['publish', file, 'big/one', '--dir', a.dir])).code).toBe(0)
    await until('B shows an active transfer with A', async () => ((await row())?.transfers?.active ?? 0) >= 1, 20_000, 20)
    await writeFile(gate, '')
    await until('B holds the bytes', async () => {
      const rows = JSON.parse((await cli(['where', 'big/one', '--json', '--dir', b.dir])).stdout) as Array<{ self: boolean, bytes: string }>
      return rows.find(r => r.self)?.bytes === 'held'
    })
    expect((await row())?.transfers).toMatchObject({ active: 0, pending: 0 })
    const token = (await readFile(join(a.dir, 'api.token'), 'utf8')).trim()
    const metrics = await (await fetch(`${a.ready?.api ?? ''}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()
    const out = /mycel_net_bytes_total\{[^}]*protocol="blob"[^}]*direction="out"[^}]*\} (\d+)/.exec(metrics)
      ?? /mycel_net_bytes_total\{[^}]*direction="out"[^}]*protocol="blob"[^}]*\} (\d+)/.exec(metrics)
    expect(Number(out?.[1])).toBeGreaterThanOrEqual(2 * 1024 * 1024)
  })
})
