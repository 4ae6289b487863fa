// A daemon tells the process that runs it when blob bytes move (onBlobMoved), both ways: served to a
// member and received from a holder. `mycel daemon` pins V8's heap growing
// factor on either (daemon/heap-growth.ts): with its small young generation, a downloader left unpinned
// ran ~24 mark-compacts per GiB. Two daemons in this process, real libp2p on loopback.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG, type DaemonConfig } from '../../../daemon/config.js'
import { Daemon, type ReadyInfo } from '../../../daemon/daemon.js'
import { Logger } from '../../../daemon/log.js'

interface Running { daemon: Daemon, ready: ReadyInfo, dir: string, token: string, served: number, received: number }

const running: Running[] = []

async function start (config: Partial<DaemonConfig>, join_?: string): Promise<Running> {
  const dir = await mkdtemp(join(tmpdir(), 'mycel-moved-'))
  const r = { dir, served: 0, received: 0 } as Running
  r.daemon = new Daemon({ dir, config: { ...DEFAULT_CONFIG, listen: ['/ip4/127.0.0.1/tcp/0'], antiEntropyIntervalMs: 200, ...config }, join: join_, version: 'test' }, {
    log: new Logger({ level: 'error', write: () => {} }),
    onFatal: err => { throw err },
    onBlobMoved: (direction, bytes) => { r[direction] += bytes }
  })
  r.ready = await r.daemon.start()
  r.token = (await readFile(join(dir, 'api.token'), 'utf8')).trim()
  running.push(r)
  return r
}

async function api (r: Running, method: string, path: string, body?: Blob | string): Promise<{ status: number, body: any }> {
  const res = await fetch(`${r.ready.api}${path}`, { method, headers: { authorization: `Bearer ${r.token}` }, body })
  return { status: res.status, body: await res.json() }
}

describe('blob bytes moved, told to the process', () => {
  afterAll(async () => {
    for (const r of running) { await r.daemon.stop(); await rm(r.dir, { recursive: true, force: true }) }
  })

  it('the holder hears of the bytes it served, the fetcher of the bytes it received', async () => {
    const a = await start({})
    const token = (await api(a, 'POST', '/v1/invite?role=reader')).body.token as string
    const b = await start({ replicate: 'on-demand' }, token)
    const size = 3 * 1024 * 1024
    const bytes = new Blob([new Uint8Array(size).map((_, i) => (i * 7919) & 0xff)])
    expect((await api(a, 'PUT', '/v1/keys/moved%2Fblob', bytes)).status).toBe(201)
    // B learns of the key, then fetches its bytes from A into its store.
    let got = { status: 0, body: {} as any }
    for (let i = 0; i < 200 && got.body.local !== 'complete'; i++) {
      got = await api(b, 'GET', '/v1/blobs/moved%2Fblob?wait=20')
      if (got.status === 404) await new Promise(resolve => setTimeout(resolve, 100)) // not replicated yet
    }
    expect(got.body.local).toBe('complete')
    expect(b.received).toBeGreaterThanOrEqual(size)
    expect(a.served).toBeGreaterThanOrEqual(size)
    expect(a.received).toBe(0)
    expect(b.served).toBe(0)
  })
})
