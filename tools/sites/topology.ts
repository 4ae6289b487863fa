// The network the site harness builds: every site its own host in a network namespace, on a LAN that
// lives in a hub namespace, so nothing of it touches the machine's own network.
//
//   hub namespace:  br0 ──t0══t1── br1        two bridges joined by a trunk (a veth pair); the
//                    │              │          partition scenario takes the trunk down
//   site i:         eth0 10.99.0.(10+i)/24, on br0 (first half) or br1 (second half)
//   NAT'd site k:   eth0 10.99.(1+k).2/24 ── lan [router k] wan 10.99.0.(200+k)/24 on its half's bridge;
//                   the router masquerades the LAN and drops new connections from the WAN (nftables)
//
// Every site's uplink (its eth0's egress) can be capped with tbf. No namespace has a route to the
// outside world: sites know only their own /24, and a NAT'd site's default route ends at its router,
// which knows only the LAN and the site net. The harness checks that before it starts anything.

import { execIn, ipIn, run, runQuietly } from './shell.js'

export interface TopologyOptions {
  /** Prefix of every namespace this run creates; teardown and the leftover check use it. */
  prefix: string
  sites: number
  /** How many sites (the last ones) sit behind their own NAT router. */
  nat: number
  /** Uplink cap of every site in tc's syntax (e.g. 100mbit), or none. */
  uplink?: string
}

export interface SiteNet {
  index: number
  ns: string
  /** The address its daemon listens on (never 127.0.0.1). */
  addr: string
  /** Behind a NAT router: nobody can dial it. */
  nat: boolean
  /** The half of the network it is in: the partition scenario cuts between them. */
  half: 0 | 1
}

const SITE_NET = '10.99.0'
const MAX_SITES = 180
const MAX_NAT = 50

/** tbf needs a burst of at least rate/HZ; 256 KiB is ample for rates up to ~1 Gbit/s and keeps bursts short. */
const TBF_BURST = '256kb'
const TBF_LATENCY = '100ms'

export class Topology {
  readonly hub: string
  readonly sites: SiteNet[] = []
  private readonly routers: string[] = []
  private readonly created: string[] = []

  private constructor (readonly options: TopologyOptions) {
    this.hub = `${options.prefix}-hub`
  }

  /** Builds the whole network; on any failure what was built is removed before the error is thrown. */
  static async build (options: TopologyOptions): Promise<Topology> {
    if (options.sites < 1 || options.sites > MAX_SITES) throw new Error(`--sites must be 1..${MAX_SITES}`)
    if (options.nat < 0 || options.nat > MAX_NAT || options.nat >= options.sites) throw new Error(`--nat must be 0..${Math.min(MAX_NAT, options.sites - 1)} (at least one site must be reachable)`)
    const t = new Topology(options)
    try {
      await t.buildHub()
      for (let i = 0; i < options.sites; i++) {
        const natIndex = i - (options.sites - options.nat)
        await t.buildSite(i, natIndex >= 0 ? natIndex : undefined)
      }
      await t.checkIsolated()
    } catch (err) {
      await t.destroy()
      throw err
    }
    return t
  }

  /** Takes the trunk between the halves down (partition) or up (heal). */
  async trunk (up: boolean): Promise<void> {
    await ipIn(this.hub, 'link', 'set', 't0', up ? 'up' : 'down')
  }

  /** Bytes a site has sent on its uplink so far (headers and encryption included). */
  async txBytes (site: SiteNet): Promise<number> {
    const [link] = JSON.parse(await ipIn(site.ns, '-j', '-s', 'link', 'show', 'dev', 'eth0')) as Array<{ stats64: { tx: { bytes: number } } }>
    return link.stats64.tx.bytes
  }

  /** Removes every namespace of this run, and with them their interfaces, bridges and rules. */
  async destroy (): Promise<void> {
    for (const ns of this.created.reverse()) await Topology.remove(ns)
    this.created.length = 0
  }

  /** Namespaces with this prefix that still exist (a clean run leaves none). */
  static async leftovers (prefix: string): Promise<string[]> {
    const out = await run('ip', ['-j', 'netns', 'list']).catch(() => '[]')
    const list = out.trim() === '' ? [] : JSON.parse(out) as Array<{ name: string }>
    return list.map(n => n.name).filter(name => name.startsWith(`${prefix}-`))
  }

  /** Removes one namespace (for --cleanup of an interrupted run). */
  static async remove (ns: string): Promise<void> {
    await killInside(ns)
    await runQuietly('ip', ['netns', 'del', ns])
  }

  private async addNamespace (ns: string): Promise<void> {
    await run('ip', ['netns', 'add', ns])
    this.created.push(ns)
    await ipIn(ns, 'link', 'set', 'lo', 'up')
  }

  private async buildHub (): Promise<void> {
    await this.addNamespace(this.hub)
    for (const br of ['br0', 'br1']) {
      await ipIn(this.hub, 'link', 'add', br, 'type', 'bridge')
      await ipIn(this.hub, 'link', 'set', br, 'up')
    }
    await ipIn(this.hub, 'link', 'add', 't0', 'type', 'veth', 'peer', 'name', 't1')
    await ipIn(this.hub, 'link', 'set', 't0', 'master', 'br0', 'up')
    await ipIn(this.hub, 'link', 'set', 't1', 'master', 'br1', 'up')
  }

  private async buildSite (index: number, natIndex: number | undefined): Promise<void> {
    const ns = `${this.options.prefix}-s${index}`
    const half: 0 | 1 = index < Math.ceil(this.options.sites / 2) ? 0 : 1
    await this.addNamespace(ns)
    let addr: string
    if (natIndex === undefined) {
      addr = `${SITE_NET}.${10 + index}`
      await this.plug(`s${index}`, ns, 'eth0', half)
      await ipIn(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      await ipIn(ns, 'link', 'set', 'eth0', 'up')
    } else {
      const router = `${this.options.prefix}-r${natIndex}`
      const lan = `10.99.${1 + natIndex}`
      await this.addNamespace(router)
      this.routers.push(router)
      await this.plug(`r${natIndex}`, router, 'wan', half)
      await ipIn(router, 'addr', 'add', `${SITE_NET}.${200 + natIndex}/24`, 'dev', 'wan')
      await ipIn(router, 'link', 'set', 'wan', 'up')
      await ipIn(router, 'link', 'add', 'lan', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      await ipIn(router, 'addr', 'add', `${lan}.1/24`, 'dev', 'lan')
      await ipIn(router, 'link', 'set', 'lan', 'up')
      addr = `${lan}.2`
      await ipIn(ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      await ipIn(ns, 'link', 'set', 'eth0', 'up')
      await ipIn(ns, 'route', 'add', 'default', 'via', `${lan}.1`)
      await execIn(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1'])
      await execIn(router, 'nft', ['-f', '-'], { input: natRuleset() })
    }
    if (this.options.uplink !== undefined) {
      await execIn(ns, 'tc', ['qdisc', 'add', 'dev', 'eth0', 'root', 'tbf', 'rate', this.options.uplink, 'burst', TBF_BURST, 'latency', TBF_LATENCY])
    }
    this.sites.push({ index, ns, addr, nat: natIndex !== undefined, half })
  }

  /** A veth from the hub's bridge of `half` into `ns`, named `hubEnd` in the hub and `nsEnd` in ns. */
  private async plug (hubEnd: string, ns: string, nsEnd: string, half: 0 | 1): Promise<void> {
    await ipIn(this.hub, 'link', 'add', hubEnd, 'type', 'veth', 'peer', 'name', nsEnd, 'netns', ns)
    await ipIn(this.hub, 'link', 'set', hubEnd, 'master', `br${half}`, 'up')
  }

  /** Refuses to go on if any namespace could reach beyond the harness's own addresses. */
  private async checkIsolated (): Promise<void> {
    for (const ns of [...this.sites.map(s => s.ns), ...this.routers]) {
      const routes = JSON.parse(await ipIn(ns, '-j', 'route', 'show')) as Array<{ dst: string, gateway?: string }>
      for (const r of routes) {
        const lan = /^10\.99\.\d+\.0\/24$/.test(r.dst)
        const viaRouter = r.dst === 'default' && r.gateway !== undefined && /^10\.99\.\d+\.1$/.test(r.gateway) && !this.routers.includes(ns)
        if (!lan && !viaRouter) throw new Error(`namespace ${ns} has a route beyond the harness's network: ${JSON.stringify(r)}`)
      }
    }
  }
}

/** Kills whatever still runs inside a namespace (a daemon of an interrupted run). */
async function killInside (ns: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', ns]).catch(() => '')
  for (const pid of pids.split('\n').map(Number).filter(p => p > 0)) {
    try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
  }
}

/** Masquerade the LAN out of `wan`; let replies back in; drop every new connection from the WAN. */
function natRuleset (): string {
  return `
table ip nat {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; oifname "wan" masquerade; }
}
table inet filter {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan" oifname "wan" accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "wan" ct state new drop
  }
}
`
}
