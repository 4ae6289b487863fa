// Sites an operator can run (#20), with four real daemons: a hub and three edges whose policies are
// eager, on-demand and none. One edge is killed: every other site says so within 10 s — in `mycel
// sites` (unreachable, with its true lag, not a fake 0), in `watch`, in /metrics and in a webhook that
// is delivered after the receiver itself comes back. The release barrier `all` returns once the eager
// edge holds the bytes, with an edge down; `--wait-sites` names one. The killed edge, restarted on its
// port, is connected again promptly and a site-up follows. Every wait is on an observed state.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'
import { CliProcess, HookReceiver } from '../../helpers/visibility.js'
import type { SiteRow } from '../../../daemon/api/contract.js'

const DOWN_WITHIN_MS = 10_000

async function sitesOf (node: Node): Promise<SiteRow[]> {
  const r = await cli(['sites', '--json', '--dir', node.dir])
  if (r.code !== 0) throw new Error(`mycel sites exited ${String(r.code)}: ${r.stderr}`)
  return JSON.parse(r.stdout) as SiteRow[]
}

describe('sites: names, health and alerts across a hub and three edges', () => {
  const hook = new HookReceiver()
  let hub: Node, eager: Node, lazy: Node, none: Node
  const watches: CliProcess[] = []

  beforeAll(async () => {
    await hook.up()
    hub = await Node.create({ name: 'hub', webhooks: [{ url: `${hook.url}/ops`, events: ['site-down', 'site-up'] }] })
    eager = await Node.create({ name: 'edge-eager', groups: ['edge'] })
    lazy = await Node.create({ name: 'edge-lazy', groups: ['edge'], replicate: 'on-demand' })
    none = await Node.create({ name: 'edge-none', groups: ['edge'], replicate: 'none' })
    await hub.start()
    await Promise.all([eager, lazy, none].map(async n => { await n.start(['--join', await hub.invite()]) }))
    none.listen = (none.ready?.listen[0] ?? '').replace(/\/p2p\/.*$/, '') // restarted where it was
    await until('every site connected to every other and named', async () => {
      for (const n of [hub, eager, lazy, none]) {
        const rows = await sitesOf(n)
        if (rows.length !== 4 || rows.some(r => r.state !== 'connected' || r.name === null || r.mode === null)) return false
      }
      return true
    }, 30_000)
  })
  afterAll(async () => {
    for (const w of watches) w.kill()
    await hook.down()
    await Promise.all([hub, eager, lazy, none].map(async n => { await n.destroy() }))
  })

  it('the sites table names every site with its state, policy and groups', async () => {
    const rows = await sitesOf(eager)
    expect(rows.map(r => [r.name, r.state, r.mode, r.groups.join(','), r.self]).sort()).toEqual([
      ['edge-eager', 'connected', 'eager', 'edge', true],
      ['edge-lazy', 'connected', 'on-demand', 'edge', false],
      ['edge-none', 'connected', 'none', 'edge', false],
      ['hub', 'connected', 'eager', '', false]
    ])
    // Every site's own report has reached the eager edge, with what it holds and lacks.
    await until('every site\'s report reached edge-eager, holdings summarised', async () => (await sitesOf(eager)).every(r => r.report?.holdings != null), 60_000)
    for (const r of await sitesOf(eager)) {
      expect(r.report?.ageMs).toBeLessThan(60_000)
      expect(r.report?.holdings?.missingKeys).toBe(0)
      if (!r.self) expect(r.seenBy.map(v => v.state)).toContain('connected')
    }
    const text = await cli(['sites', '--dir', hub.dir])
    expect(text.stdout).toMatch(/SITE\s+STATE\s+LAG\s+POLICY\s+GROUPS\s+ROLE/)
    expect(text.stdout).toMatch(/edge-none\s+connected\s+in sync\s+none\s+edge\s+writer/)
  })

  it('a killed edge is down within 10 s on every other site: sites (with its true lag), watch, /metrics, and a webhook delivered once the receiver is back', async () => {
    for (const n of [hub, eager, lazy]) {
      const w = new CliProcess(['watch', '--type', 'site-down,site-up', '--json', '--dir', n.dir])
      watches.push(w)
      await w.waitStderr('watching')
    }
    await hook.down() // the receiver is down too when the alert fires
    const killedAt = Date.now()
    await none.kill()
    for (let i = 0; i < 5; i++) expect((await hub.publish(`while-down/${i}`, `v${i}`)).status).toBe(201)
    // When each site decided edge-none was down: the event's own time, not when this test got to look.
    await until('every other site raised site-down', () => watches.every(w => w.lines<{ type: string }>().some(e => e.type === 'site-down')), 60_000)
    const downAt = watches.map(w => w.lines<{ type: string, atMs: number }>().find(e => e.type === 'site-down')?.atMs ?? Infinity)
    const downMs = Math.max(...downAt) - killedAt
    console.log(`edge-none killed: site-down on all three other sites after ${downMs} ms (${downAt.map(t => t - killedAt).join(', ')})`)
    expect(downMs).toBeLessThanOrEqual(DOWN_WITHIN_MS)
    for (const n of [hub, eager, lazy]) expect((await sitesOf(n)).find(r => r.name === 'edge-none')?.state).toBe('unreachable')
    // Its true lag, from its last report: it lacks at least the five writes made since.
    await until('the hub counts what edge-none lacks', async () => ((await sitesOf(hub)).find(r => r.name === 'edge-none')?.lag?.ahead ?? 0) >= 5)
    const row = (await sitesOf(hub)).find(r => r.name === 'edge-none') as SiteRow
    expect(row).toMatchObject({ state: 'unreachable', self: false })
    expect(row.sinceMs).not.toBeNull()
    expect(row.lastSeenMs).not.toBeNull()
    // The federation-wide view: edge-lazy also shows what the hub's and edge-eager's reports say of edge-none.
    await until('edge-lazy hears from the others that edge-none is down', async () => {
      const seen = (await sitesOf(lazy)).find(r => r.name === 'edge-none')?.seenBy ?? []
      return ['hub', 'edge-eager'].every(by => seen.some(v => v.byName === by && v.state === 'unreachable'))
    }, 30_000)
    const status = await cli(['status', '--dir', hub.dir])
    expect(status.stdout).toMatch(/edge-none unreachable for \d+ (ms|s), lacks \d+ events/)
    for (const w of watches) {
      await until('watch shows site-down', () => w.lines<{ type: string }>().some(e => e.type === 'site-down'))
      expect(w.lines()[0]).toMatchObject({ type: 'site-down', peer: none.ready?.peerId, peerName: 'edge-none', key: `mycel:site/${none.ready?.peerId as string}` })
    }
    const raw = await (await fetch(`${hub.ready?.api as string}/metrics`, { headers: { authorization: `Bearer ${(await readFile(join(hub.dir, 'api.token'), 'utf8')).trim()}` } })).text()
    expect(raw).toMatch(/mycel_site_up\{[^}]*site="edge-none"[^}]*\} 0\n/)
    expect(raw).toMatch(/mycel_site_up\{[^}]*site="edge-eager"[^}]*\} 1\n/)
    expect(raw).toMatch(/mycel_site_lag_events\{[^}]*site="edge-none"[^}]*\} ([5-9]|\d\d+)\n/)
    await hook.up()
    await until('the webhook delivered the site-down', () => hook.received.some(d => d.body.type === 'site-down'), 60_000)
    expect(hook.received.find(d => d.body.type === 'site-down')?.body).toMatchObject({ type: 'site-down', peerName: 'edge-none', site: { name: 'hub' } })
  })

  it('with edge-none down, the barrier `all` returns once the eager edge holds the bytes; --wait-sites names one', async () => {
    const file = join(hub.dir, 'rel.bin')
    await writeFile(file, 'release bytes while an edge is down')
    const all = await cli(['publish', file, 'rel/1', '--wait-replicas', 'all', '--timeout', '60s', '--json', '--dir', hub.dir])
    expect(all.code).toBe(0)
    const barrier = (JSON.parse(all.stdout) as { barrier: { holding: Array<{ name: string }>, missing: unknown[] } }).barrier
    expect(barrier.holding.map(s => s.name).sort()).toEqual(['edge-eager', 'hub'])
    expect(barrier.missing).toEqual([])
    const named = await cli(['publish', file, 'rel/2', '--wait-sites', 'edge-eager', '--timeout', '60s', '--dir', hub.dir])
    expect(named.code).toBe(0)
    expect(named.stdout).toContain('1 of 1 sites hold it')
  })

  it('the killed edge, restarted, is connected again promptly, catches up, and a site-up follows', async () => {
    await none.start()
    const readyAt = Date.now()
    await until('the hub has edge-none connected again', async () => (await sitesOf(hub)).find(r => r.name === 'edge-none')?.state === 'connected', 30_000, 100)
    const backMs = Date.now() - readyAt
    console.log(`edge-none restarted: connected at the hub ${backMs} ms after it was ready (target 2 s)`)
    // The target is 2 s; a loaded CI box gets slack, and the figure is printed.
    expect(backMs).toBeLessThan(5_000)
    await until('edge-none caught up', async () => ((await sitesOf(hub)).find(r => r.name === 'edge-none')?.lag?.ahead ?? 1) === 0, 30_000)
    await until('watch shows site-up', () => watches.every(w => w.lines<{ type: string }>().some(e => e.type === 'site-up')))
    expect(watches[0]?.lines<{ type: string, downForMs: number }>().find(e => e.type === 'site-up')?.downForMs).toBeGreaterThan(0)
  })

  it('a fetch at the `none` edge says its bytes are not kept there (available, kept: false)', async () => {
    const w = new CliProcess(['watch', 'rel/', '--type', 'available', '--json', '--count', '1', '--dir', none.dir])
    watches.push(w)
    await w.waitStderr('watching')
    expect((await cli(['fetch', 'rel/1', '-o', join(none.dir, 'rel1.bin'), '--dir', none.dir])).code).toBe(0)
    expect(await w.exited).toBe(0)
    expect(w.lines()[0]).toMatchObject({ type: 'available', key: 'rel/1', kept: false })
  })
})
