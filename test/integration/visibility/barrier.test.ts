// The release barrier in a mixed federation (issue #20), three real daemons: a hub, an eager edge and an
// on-demand edge, both edges in group `edge`. `--wait-replicas all` waits for the sites that mirror the
// key and returns once the eager edge holds the bytes; `--wait-sites` and `--wait-group` name sites
// whatever their policy; a barrier that times out leaves the key published and exits 6 (not 4), in
// text and in --json.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, Node, until } from '../../helpers/daemons.js'

interface Barrier { met: boolean, required: number, holding: Array<{ name: string | null, bytes: string }>, missing: Array<{ name: string | null, bytes: string }> }

describe('publish barrier across mixed sites', () => {
  let hub: Node, eager: Node, lazy: Node
  let file: string

  beforeAll(async () => {
    hub = await Node.create({ name: 'hub' })
    eager = await Node.create({ name: 'edge-eager', groups: ['edge'] })
    lazy = await Node.create({ name: 'edge-lazy', groups: ['edge'], replicate: 'on-demand' })
    await hub.start()
    await Promise.all([eager.start(['--join', await hub.invite()]), lazy.start(['--join', await hub.invite()])])
    // The hub must know each edge's announced policy and groups before a barrier can count them.
    await hub.publish('probe/k', 'probe')
    await until('the hub knows both edges\' site records', async () => {
      const rows = (await hub.api<{ members: Array<{ name?: string, mode: string | null, groups: string[] }> }>('GET', '/v1/where/probe%2Fk')).body.members
      return rows.some(m => m.name === 'edge-eager' && m.mode === 'eager' && m.groups.includes('edge')) &&
        rows.some(m => m.name === 'edge-lazy' && m.mode === 'on-demand')
    })
    file = join(hub.dir, 'release.bin')
    await writeFile(file, 'release 1.0 bytes')
  })
  afterAll(async () => {
    await Promise.all([hub.destroy(), eager.destroy(), lazy.destroy()])
  })

  it('--wait-replicas all returns once the eager edge holds the bytes; the on-demand edge is not waited for', async () => {
    const out = await cli(['publish', file, 'rel/1.0', '--wait-replicas', 'all', '--timeout', '60s', '--json', '--dir', hub.dir])
    expect(out.code).toBe(0)
    const barrier = (JSON.parse(out.stdout) as { barrier: Barrier }).barrier
    expect(barrier.met).toBe(true)
    expect(barrier.holding.map(s => s.name).sort()).toEqual(['edge-eager', 'hub'])
    expect(barrier.missing).toEqual([])
    // It really is there: the eager edge holds verified bytes.
    const at = (await eager.api<{ local: string }>('GET', '/v1/blobs/rel%2F1.0')).body
    expect(at.local).toBe('complete')
  })

  it('--wait-sites names a site whatever its policy: the on-demand edge never fetches, so exit 6 with the key published', async () => {
    const out = await cli(['publish', file, 'rel/1.1', '--wait-sites', 'edge-lazy', '--timeout', '1s', '--dir', hub.dir])
    expect(out.code).toBe(6)
    expect(out.stdout).toContain('published rel/1.1')
    expect(out.stderr).toMatch(/published rel\/1\.1, but after 1\.0 s 0 of 1 sites hold it; missing: edge-lazy \(/)
    expect((await hub.keys()).some(k => k.key === 'rel/1.1')).toBe(true)
  })

  it('--wait-group edge waits for both edges: in --json the barrier says who holds and who is missing; once the lazy edge fetches, it is met', async () => {
    const timedOut = await cli(['publish', file, 'rel/1.2', '--wait-group', 'edge', '--timeout', '2s', '--json', '--dir', hub.dir])
    expect(timedOut.code).toBe(6)
    const barrier = (JSON.parse(timedOut.stdout) as { barrier: Barrier }).barrier
    expect(barrier.met).toBe(false)
    expect(barrier.required).toBe(2)
    expect(barrier.missing.map(s => s.name)).toEqual(['edge-lazy'])
    // The lazy edge fetches it (and, on-demand, keeps it): the same barrier on a new version is met.
    await until('the lazy edge has the key', async () => (await lazy.keys()).some(k => k.key === 'rel/1.2'))
    expect((await cli(['fetch', 'rel/1.2', '-o', join(lazy.dir, 'got.bin'), '--dir', lazy.dir])).code).toBe(0)
    const met = await cli(['publish', file, 'rel/1.2-again', '--wait-group', 'edge', '--wait-sites', 'hub', '--timeout', '60s', '--json', '--dir', hub.dir])
    // Same bytes under a new key: the lazy edge already holds the digest.
    expect(met.code).toBe(0)
    expect((JSON.parse(met.stdout) as { barrier: Barrier }).barrier.holding.map(s => s.name).sort()).toEqual(['edge-eager', 'edge-lazy', 'hub'])
  })

  it('a site or group no member has is a usage error (exit 2), before any wait', async () => {
    const site = await cli(['publish', file, 'rel/x', '--wait-sites', 'nowhere', '--dir', hub.dir])
    expect(site.code).toBe(2)
    expect(site.stderr).toContain('no member is named nowhere')
    const group = await cli(['publish', file, 'rel/y', '--wait-group', 'mars', '--dir', hub.dir])
    expect(group.code).toBe(2)
    expect(group.stderr).toContain('no member is in group mars')
  })
})
