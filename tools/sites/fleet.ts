// One real mycel daemon per site, each inside its site's network namespace and listening on the
// site's own address. Site 0 founds the federation; the others join with an invite token from it, a
// few at a time (two cores start 24 daemons more slowly than one at a time would suggest). Each
// daemon's API is bridged to the harness (api-bridge.ts), so the integration helpers' Node works as is.

import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Node, type Ready } from '../../test/helpers/daemons.js'
import { joinArgsVia } from '../chaos/join.js'
import { reachApi } from './api-bridge.js'
import type { SiteNet, Topology } from './topology.js'

const BRIDGE = resolve('dist/tools/sites/api-bridge.js')
const PORT = 4710
const START_TIMEOUT_MS = 120_000
/** Daemons started at once; more only queue for the two cores. */
const START_CONCURRENCY = 4

export interface FleetOptions {
  /** Other members' blob bytes: eager, on-demand or none. */
  replicate: 'eager' | 'on-demand' | 'none'
  /** More config.json settings for every daemon. */
  config?: Record<string, unknown>
  /** Sync sessions each daemon keeps; default: one with every other site. */
  maxPeers?: number
}

export interface Site {
  net: SiteNet
  node: Node
  name: string
  peerId: string
  private: { bridge?: ChildProcess, reach?: { url: string, close: () => void } }
}

export class Fleet {
  readonly sites: Site[] = []

  constructor (readonly topology: Topology, readonly options: FleetOptions) {}

  async start (): Promise<void> {
    const [first, ...rest] = this.topology.sites
    const founder = await this.startSite(first, [])
    // A NAT'd site presents its token to a member it can dial (the founder), and is reachable only
    // through a member's relay (docs/deployment.md, "Sites behind NAT").
    const via = ['--via', `/ip4/${first.addr}/tcp/${PORT}/p2p/${founder.peerId}`]
    const queue = [...rest]
    await Promise.all(Array.from({ length: START_CONCURRENCY }, async () => {
      for (let net = queue.shift(); net !== undefined; net = queue.shift()) {
        await this.startSite(net, [...await joinArgsVia(founder.node), ...(net.nat ? via : [])])
      }
    }))
    this.sites.sort((a, b) => a.net.index - b.net.index)
  }

  /** Stops every daemon (SIGTERM, then waits) and its API bridge, and removes the data dirs. */
  async stop (): Promise<void> {
    await Promise.all(this.sites.map(async s => {
      s.private.reach?.close()
      s.private.bridge?.kill('SIGKILL')
      await s.node.stop().catch(() => {})
      await s.node.destroy()
    }))
  }

  /** Pids of every process the fleet started that is still alive (a clean run leaves none). */
  alive (): number[] {
    const pids: number[] = []
    for (const s of this.sites) {
      for (const p of [s.node.proc, s.private.bridge]) {
        if (p?.pid !== undefined && p.exitCode === null && p.signalCode === null) pids.push(p.pid)
      }
    }
    return pids
  }

  /**
   * How each site sees each other one: `direct` or `relayed` where the daemon says so (peers' `reach`),
   * else `connected` / `not connected`.
   */
  async reach (): Promise<Record<string, Record<string, string>>> {
    const names = new Map(this.sites.map(s => [s.peerId, s.name]))
    const out: Record<string, Record<string, string>> = {}
    await Promise.all(this.sites.map(async s => {
      const res = await s.node.api<Array<{ peerId: string, connected: boolean, reach?: string }>>('GET', '/v1/peers').catch(() => undefined)
      out[s.name] = Object.fromEntries((res?.body ?? []).filter(p => names.has(p.peerId))
        .map(p => [names.get(p.peerId), p.reach ?? (p.connected ? 'connected' : 'not connected')]))
    }))
    return out
  }

  /** Resident and peak resident memory of a site's daemon, in MiB (from /proc). */
  async memory (site: Site): Promise<{ rssMib: number, peakRssMib: number }> {
    const status = await readFile(`/proc/${site.node.proc?.pid ?? 0}/status`, 'utf8').catch(() => '')
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? NaN)
    return { rssMib: kb('VmRSS') / 1024, peakRssMib: kb('VmHWM') / 1024 }
  }

  /** Kills a site's daemon (SIGKILL: no clean shutdown) and its API bridge. */
  async kill (site: Site): Promise<void> {
    site.private.reach?.close()
    site.private.bridge?.kill('SIGKILL')
    await site.node.kill()
  }

  /** Starts a killed site again on its data dir and address (no token: it is a member already). */
  async restart (site: Site): Promise<void> {
    const ready = await site.node.start([], START_TIMEOUT_MS)
    await this.bridge(site, ready)
  }

  private async startSite (net: SiteNet, joinArgs: string[]): Promise<Site> {
    const name = `site-${net.index}`
    // By default every site keeps a session with every other one (the daemon's default, 8, is below a
    // 24-site fleet); --max-peers sets it, e.g. to the daemon's default for a partial mesh.
    const maxPeers = this.options.maxPeers ?? Math.max(8, this.topology.sites.length)
    // Sites run with the daemon's own anti-entropy period, as in production (the test helper's default
    // is a fast 200 ms, which across 24 full-mesh daemons is thousands of rounds a second).
    const node = await Node.create({ logLevel: 'warn', replicate: this.options.replicate, name, maxPeers, antiEntropyIntervalMs: undefined, ...this.options.config })
    node.wrap = ['ip', 'netns', 'exec', net.ns]
    node.listen = net.nat ? '/p2p-circuit' : `/ip4/${net.addr}/tcp/${PORT}`
    const ready = await node.start(joinArgs, START_TIMEOUT_MS)
    const site: Site = { net, node, name, peerId: ready.peerId, private: {} }
    this.sites.push(site)
    await this.bridge(site, ready)
    return site
  }

  private async bridge (site: Site, ready: Ready): Promise<void> {
    const socket = join(site.node.dir, 'api.sock')
    site.private.bridge = await startBridge(site.net.ns, socket, Number(new URL(ready.api).port))
    site.private.reach = await reachApi(socket)
    site.node.ready = { ...ready, api: site.private.reach.url }
  }
}

async function startBridge (ns: string, socket: string, apiPort: number): Promise<ChildProcess> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, BRIDGE, socket, String(apiPort)], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    proc.stdout.once('data', () => { resolve() })
    proc.once('exit', code => { reject(new Error(`the API bridge in ${ns} exited with ${String(code)}`)) })
  })
  return proc
}
