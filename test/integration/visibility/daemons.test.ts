// Replication visibility against two real daemons: B joins A. watch (both
// sides), where (metadata from version vectors; bytes held here, unknown
// elsewhere until the blob layer reports holders), publish --wait-replicas,
// status's per-peer sync fields, /metrics, and a webhook that needs a retry.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { CliProcess, receiver, type Received } from '../../helpers/visibility.js'
import { ApiClient } from '../../../cli/api-client.js'
import { waitForBytes } from '../../../cli/wait-bytes.js'

describe('visibility with two daemons', () => {
  let a: Node, b: Node
  let hook: { url: string, received: Received[], server: import('node:http').Server }
  const procs: CliProcess[] = []

  beforeAll(async () => {
    hook = await receiver([500]) // the first delivery fails: the webhook must retry
    a = await Node.create({ webhooks: [{ url: `${hook.url}/a`, events: ['published', 'deleted'], prefix: 'hook/' }] })
    b = await Node.create()
    await a.start()
    // B fetches bytes only when asked (blob layer, docs/blobs.md), so "bytes missing at B" stays true.
    await b.start(['--join', await a.invite(), '--replicate', 'on-demand'])
    await until('A and B connected', async () => (await a.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length === 1)
  })
  afterAll(async () => {
    for (const p of procs) p.kill()
    hook.server.close()
    await Promise.all([a.destroy(), b.destroy()])
  })

  it('watch streams published here and replicated there; deleted on both', async () => {
    const wa = new CliProcess(['watch', 'w/', '--json', '--count', '2', '--dir', a.dir])
    const wb = new CliProcess(['watch', 'w/', '--json', '--count', '2', '--dir', b.dir])
    procs.push(wa, wb)
    await Promise.all([wa.waitStderr('watching w/'), wb.waitStderr('watching w/')])
    expect((await a.publish('other/x', 'not watched')).status).toBe(201)
    const pub = await a.publish('w/one', 'one')
    expect(pub.status).toBe(201)
    await until('B has w/one', async () => (await b.keys()).some(k => k.key === 'w/one'))
    expect((await cli(['rm', 'w/one', '--dir', b.dir])).code).toBe(0)
    expect(await wa.exited).toBe(0)
    expect(await wb.exited).toBe(0)
    const ea = wa.lines<{ type: string, key: string, digest?: string, author: string }>()
    const eb = wb.lines<{ type: string, key: string, digest?: string, author: string }>()
    expect(ea.map(e => `${e.type} ${e.key}`)).toEqual(['published w/one', 'deleted w/one'])
    expect(eb.map(e => `${e.type} ${e.key}`)).toEqual(['replicated w/one', 'deleted w/one'])
    expect(ea[0]).toMatchObject({ digest: pub.body.digest, author: a.ready?.peerId })
    expect(eb[1]).toMatchObject({ author: b.ready?.peerId })
  })

  it('watch --type filters, and a bad type is a usage error', async () => {
    const bad = await cli(['watch', '--type', 'nonsense', '--dir', a.dir])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown event type')
  })

  it('where: metadata per member from version vectors, bytes held here and unknown elsewhere', async () => {
    const pub = await a.publish('where/k', 'where bytes')
    await until('B reports coverage of where/k to A', async () => {
      const out = await cli(['where', 'where/k', '--json', '--dir', a.dir])
      const rows = JSON.parse(out.stdout) as Array<{ peerId: string, metadata: string | null }>
      return rows.length === 2 && rows.every(r => r.metadata !== null)
    })
    const fromA = JSON.parse((await cli(['where', 'where/k', '--json', '--dir', a.dir])).stdout) as unknown[]
    const stamp = (await a.api<{ stamp: string }>('GET', '/v1/keys/where%2Fk')).body.stamp
    // Each row names its site (this node's own name at once; B's once its site record has arrived).
    const nameOfA = (await a.api<{ name: string }>('GET', '/v1/status')).body.name
    expect(fromA).toEqual([
      { peerId: a.ready?.peerId, name: nameOfA, role: 'admin', metadata: stamp, bytes: 'held', progress: null, self: true, report: 'self', mode: 'eager', groups: [], placed: null, replicas: null },
      expect.objectContaining({ peerId: b.ready?.peerId, role: 'writer', metadata: stamp, bytes: 'unknown', progress: null, self: false, report: 'direct' })
    ])
    await until('B has where/k', async () => (await b.keys()).some(k => k.key === 'where/k'))
    const fromB = JSON.parse((await cli(['where', 'where/k', '--json', '--dir', b.dir])).stdout) as Array<{ peerId: string, bytes: string, metadata: string }>
    // B has the metadata but not the bytes (B is on-demand).
    expect(fromB.find(r => r.peerId === b.ready?.peerId)).toMatchObject({ metadata: stamp, bytes: 'missing', self: true })
    const human = await cli(['where', 'where/k', '--dir', a.dir])
    expect(human.stdout).toContain(pub.body.digest)
    expect(human.stdout).toMatch(/MEMBER\s+ROLE\s+METADATA\s+BYTES/)
    const missing = await cli(['where', 'no/such', '--dir', a.dir])
    expect(missing.code).toBe(3)
  })

  it('publish --wait-replicas: 1 returns; all counts only mirroring sites (B is on-demand); a site that never fetches times the barrier out with exit 6, the key published', async () => {
    const file = join(a.dir, 'rel.bin')
    await writeFile(file, 'release bytes')
    const one = await cli(['publish', file, 'rel/1', '--wait-replicas', '1', '--dir', a.dir])
    expect(one.code).toBe(0)
    // B announced on-demand: it never fetches by itself, so `all` is A alone.
    await until('A knows B\'s policy', async () => (await a.api<{ members: Array<{ peerId: string, mode: string | null }> }>('GET', '/v1/where/rel%2F1')).body.members.some(m => m.peerId === b.ready?.peerId && m.mode === 'on-demand'))
    const all = await cli(['publish', file, 'rel/all', '--wait-replicas', 'all', '--timeout', '30s', '--dir', a.dir])
    expect(all.code).toBe(0)
    expect(all.stdout).toContain('1 of 1 sites hold it')
    const nameOfB = (await b.api<{ name: string }>('GET', '/v1/status')).body.name
    const started = Date.now()
    const named = await cli(['publish', file, 'rel/2', '--wait-sites', nameOfB, '--timeout', '1s', '--dir', a.dir])
    expect(named.code).toBe(6)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(named.stderr).toContain(`published rel/2, but after 1.0 s 0 of 1 sites hold it; missing: ${nameOfB} (`)
    expect((await a.keys()).some(k => k.key === 'rel/2')).toBe(true)
    const badN = await cli(['publish', file, 'rel/3', '--wait-replicas', 'zero', '--dir', a.dir])
    expect(badN.code).toBe(2)
  })

  it('status: per peer lag in events and time, last sync, clock offset, transfers', async () => {
    expect((await b.publish('clock/sample', 'pushed while connected')).status).toBe(201)
    // ... and has mirrored the sample's bytes from B: until then a fetch from B is pending or active (seen
    // once on a loaded machine: the metadata was in sync while the blob's fetch still waited its turn).
    await until('A has a clock sample, a sync with B, and no transfer with it under way', async () => {
      const s = JSON.parse((await cli(['status', '--json', '--dir', a.dir])).stdout) as { peers: Array<{ clockOffsetMs: number | null, lastSyncAt: string | null, lag: number | null, transfers?: { pending: number, active: number } }> }
      const p = s.peers[0]
      return p?.clockOffsetMs != null && p.lastSyncAt !== null && p.lag === 0 && p.transfers?.pending === 0 && p.transfers.active === 0
    })
    const s = JSON.parse((await cli(['status', '--json', '--dir', a.dir])).stdout) as { peers: Array<Record<string, unknown>> }
    expect(s.peers[0]).toMatchObject({ peerId: b.ready?.peerId, connected: true, lag: 0, lagMs: 0, report: 'direct', clockWarning: null, transfers: { pending: 0, active: 0, failed: 0 } })
    expect(Math.abs(s.peers[0].clockOffsetMs as number)).toBeLessThan(5000) // same machine, same clock
    expect(Date.now() - Date.parse(s.peers[0].lastSyncAt as string)).toBeLessThan(30_000)
    const human = await cli(['status', '--dir', a.dir])
    expect(human.stdout).toMatch(/lag 0 events, 0\.0 s {3}last sync [\d.]+ s ago {3}clock offset [+-]\d+ ms/)
    expect(human.stdout).toContain('transfers 0 pending, 0 active, 0 failed')
  })

  it('GET /metrics: Prometheus text with the token, 401 without', async () => {
    const res = await fetch(`${a.ready?.api as string}/metrics`)
    expect(res.status).toBe(401)
    const text = await a.api<unknown>('GET', '/v1/status').then(async () => await (await fetch(`${a.ready?.api as string}/metrics`, { headers: { authorization: `Bearer ${await token(a)}` } })).text())
    for (const name of ['mycel_events_applied_total', 'mycel_events_rejected_total', 'mycel_events_held_total', 'mycel_sync_rounds_total', 'mycel_blob_fetch_duration_seconds', 'mycel_peer_lag_events']) {
      expect(text).toContain(`# TYPE ${name} `)
    }
    expect(text).toMatch(/^mycel_net_bytes_total\{direction="in",protocol="sync"\} [1-9]\d*$/m)
    expect(text).toMatch(/^mycel_net_bytes_total\{direction="out",protocol="sync"\} [1-9]\d*$/m)
    expect(text).toMatch(/^mycel_peers\{state="connected"\} 1$/m)
    expect(text).toMatch(new RegExp(`^mycel_peer_lag_events\\{peer="${b.ready?.peerId as string}",site="[^"]+"\\} \\d+$`, 'm'))
    expect(text).toMatch(/^mycel_visibility_events_total\{type="published"\} [1-9]\d*$/m)
    expect(Number(/^mycel_events_applied_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0)
  })

  it('GET /metrics: process and runtime families; no gauge shares a stem with a counter; no secret in a label', async () => {
    const text = await (await fetch(`${a.ready?.api as string}/metrics`, { headers: { authorization: `Bearer ${await token(a)}` } })).text()
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_version_info']) {
      expect(text).toContain(`# TYPE ${name} `)
    }
    const types = new Map<string, string>()
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      expect(types.has(name as string), `${name as string} defined twice`).toBe(false)
      types.set(name as string, type as string)
    }
    for (const [name, type] of types) {
      if (type === 'counter') expect(types.get(name.replace(/_total$/, '')), `a family shares the stem of counter ${name}`).toBeUndefined()
    }
    expect(types.get('mycel_events_held_now')).toBe('gauge')
    expect(types.get('mycel_events_held_total')).toBe('counter')
    // The webhook's URL is configured on A (it could carry a token): labels name it by index only.
    expect(text).not.toContain(hook.url)
    expect(text).toMatch(/^mycel_webhook_queue_length\{webhook="0"\} \d+$/m)
  })

  it('webhook: one POST per matching event, retried after a failure, counted', async () => {
    await a.publish('hook/a', 'x')
    await a.publish('nothook/b', 'y')
    await until('the webhook got hook/a after a retry', () => hook.received.length >= 2)
    expect(hook.received.map(r => r.path)).toEqual(['/a', '/a'])
    expect(hook.received[1].body).toMatchObject({ type: 'published', key: 'hook/a', author: a.ready?.peerId })
    const text = await (await fetch(`${a.ready?.api as string}/metrics`, { headers: { authorization: `Bearer ${await token(a)}` } })).text()
    expect(text).toContain('mycel_webhook_deliveries_total{outcome="ok",webhook="0"} 1')
    expect(text).toContain('mycel_webhook_deliveries_total{outcome="retry",webhook="0"} 1')
  })

  it('waitForBytes (for fetch --wait): returns where the bytes are held, times out with progress where they are not', async () => {
    await a.publish('bytes/k', 'held at A only')
    await until('B has bytes/k', async () => (await b.keys()).some(k => k.key === 'bytes/k'))
    const atA = await waitForBytes(await ApiClient.open(a.dir), 'bytes/k', 1000)
    expect(atA.members.find(m => m.self)).toMatchObject({ bytes: 'held' })
    const seen: string[] = []
    await expect(waitForBytes(await ApiClient.open(b.dir), 'bytes/k', 300, row => { seen.push(row.bytes) }))
      .rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('did not arrive within 300 ms (missing)') })
    expect(seen).toEqual(['missing'])
    await expect(waitForBytes(await ApiClient.open(b.dir), 'no/such', 300)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('watch exits 1 when the daemon stops', async () => {
    const w = new CliProcess(['watch', '--dir', b.dir])
    procs.push(w)
    await w.waitStderr('watching all keys')
    expect(await b.stop()).toBe(0)
    expect(await w.exited).toBe(1)
    expect(w.stderr).toContain('the daemon ended the event stream')
  })
})

async function token (node: Node): Promise<string> {
  const { readFile } = await import('node:fs/promises')
  return (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
}
