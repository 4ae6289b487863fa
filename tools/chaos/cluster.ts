// Five real daemons on 127.0.0.1 and the faults the harness applies to them:
//   kill(i)     SIGKILL; the node is marked down first so the workload stops
//               choosing it; requests already in flight become "unknown"
//   restart(i)  the same data dir and the same fixed port, no --join
//   cut(i, j)   both daemons stop talking to each other: each one's link-fault
//               file (MYCEL_TEST_LINK_FAULTS, daemon/testing/link-faults.ts) lists the
//               other; written via temp + rename so a daemon never reads half
//   heal(i, j)  the reverse
// Node 0 founds the federation; the others join with its invite token.

import { createWriteStream, type WriteStream } from 'node:fs'
import { randomInt } from 'node:crypto'
import { createServer } from 'node:net'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Node } from '../../test/helpers/daemons.js'
import { joinArgsVia } from './join.js'
import { ANTI_ENTROPY_MS, START_TIMEOUT_MS } from './limits.js'

export const LINK_FAULTS_ENV = 'MYCEL_TEST_LINK_FAULTS'

export interface ChaosNode {
  index: number
  node: Node
  up: boolean
  peerId: string
  faultFile: string
  /** `<dir>/daemon.log`: every incarnation's stderr (JSON log lines), kept with the dir of a failed run. */
  log: WriteStream
  logBytes: number
}

/** Log kept per node; beyond it, lines are dropped (a run at info level writes far less). */
const MAX_LOG_BYTES = 32 * 1024 * 1024

/**
 * Ports for chaos nodes come from below Linux's ephemeral range (32768–60999).
 * A node keeps its port across restarts; a port from the ephemeral range, once
 * its daemon was killed, could be taken meanwhile as the local end of any
 * outgoing connection on the machine (another test's dial), and the restart
 * then failed to bind (exit 4). Nothing takes a port below the range unless it
 * binds it by number.
 */
const FIXED_PORTS: [number, number] = [20_000, 32_000]

/** A TCP port on 127.0.0.1 outside the ephemeral range that is free now (the daemon binds it a moment later). */
async function freePort (): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIXED_PORTS[0] + randomInt(FIXED_PORTS[1] - FIXED_PORTS[0])
    if (await canBind(port)) return port
  }
  throw new Error(`no free port in ${FIXED_PORTS[0]}..${FIXED_PORTS[1]} after 100 tries`)
}

async function canBind (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const srv = createServer()
    srv.once('error', () => { resolve(false) })
    srv.listen(port, '127.0.0.1', () => { srv.close(() => { resolve(true) }) })
  })
}

export class ChaosCluster {
  readonly nodes: ChaosNode[] = []
  /** Daemons that exited without being killed by the harness (a crash): one line each, with the log tail. */
  readonly crashes: string[] = []
  /** Cut links as "i-j" with i < j. */
  private readonly cuts = new Set<string>()

  static async create (count: number): Promise<ChaosCluster> {
    const cluster = new ChaosCluster()
    for (let i = 0; i < count; i++) {
      const node = await Node.create({ antiEntropyIntervalMs: ANTI_ENTROPY_MS, logLevel: 'info' })
      const faultFile = join(node.dir, 'link-faults')
      node.listen = `/ip4/127.0.0.1/tcp/${await freePort()}`
      node.env = { [LINK_FAULTS_ENV]: faultFile }
      const log = createWriteStream(join(node.dir, 'daemon.log'), { flags: 'a' })
      cluster.nodes.push({ index: i, node, up: false, peerId: '', faultFile, log, logBytes: 0 })
    }
    return cluster
  }

  /** Node 0 founds; the others join through it (in parallel). */
  async start (): Promise<void> {
    const [first, ...rest] = this.nodes as [ChaosNode, ...ChaosNode[]]
    first.peerId = (await first.node.start([], START_TIMEOUT_MS)).peerId
    this.watch(first)
    first.up = true
    await Promise.all(rest.map(async n => {
      n.peerId = (await n.node.start(await joinArgsVia(first.node), START_TIMEOUT_MS)).peerId
      this.watch(n)
      n.up = true
    }))
  }

  up (): ChaosNode[] { return this.nodes.filter(n => n.up) }
  down (): ChaosNode[] { return this.nodes.filter(n => !n.up) }
  cutLinks (): string[] { return [...this.cuts] }

  async kill (n: ChaosNode): Promise<void> {
    n.up = false
    n.log.write(`{"harness":"SIGKILL","ts":"${new Date().toISOString()}"}\n`)
    await n.node.kill()
  }

  async restart (n: ChaosNode): Promise<void> {
    n.log.write(`{"harness":"restart","ts":"${new Date().toISOString()}"}\n`)
    await n.node.start([], START_TIMEOUT_MS)
    this.watch(n)
    n.up = true
  }

  async cut (a: ChaosNode, b: ChaosNode): Promise<void> {
    this.cuts.add(linkName(a, b))
    await Promise.all([this.writeFaults(a), this.writeFaults(b)])
  }

  async heal (a: ChaosNode, b: ChaosNode): Promise<void> {
    this.cuts.delete(linkName(a, b))
    await Promise.all([this.writeFaults(a), this.writeFaults(b)])
  }

  async healAll (): Promise<void> {
    this.cuts.clear()
    await Promise.all(this.nodes.map(async n => { await this.writeFaults(n) }))
  }

  async destroy (keep: boolean): Promise<void> {
    await Promise.all(this.nodes.map(async n => { await new Promise(resolve => n.log.end(resolve)) }))
    await Promise.all(this.nodes.map(async n => { if (keep) await n.node.kill(); else await n.node.destroy() }))
  }

  /** Keeps the log of this incarnation and notices if it exits on its own (then it is down until restarted). */
  private watch (n: ChaosNode): void {
    keepLog(n)
    const proc = n.node.proc
    proc?.once('exit', (code, signal) => {
      if (!n.up || n.node.proc !== proc) return // killed by the harness
      n.up = false
      n.node.proc = undefined
      this.crashes.push(`node ${n.index} exited by itself (code ${String(code)}, signal ${String(signal)}); log tail: ${n.node.log.slice(-1500)}`)
    })
  }

  private async writeFaults (n: ChaosNode): Promise<void> {
    const blocked = this.nodes.filter(o => o !== n && this.cuts.has(linkName(n, o))).map(o => o.peerId)
    n.log.write(`{"harness":"link faults","blocked":${JSON.stringify(blocked.map(p => p.slice(-8)))},"ts":"${new Date().toISOString()}"}\n`)
    const tmp = `${n.faultFile}.tmp`
    await writeFile(tmp, blocked.join('\n') + '\n')
    await rename(tmp, n.faultFile)
  }
}

/** Appends this incarnation's stderr (from ready on) to the node's daemon.log. */
function keepLog (n: ChaosNode): void {
  n.node.proc?.stderr?.on('data', (chunk: Buffer) => {
    if (n.logBytes > MAX_LOG_BYTES) return
    n.logBytes += chunk.length
    n.log.write(chunk)
  })
}

export function linkName (a: ChaosNode, b: ChaosNode): string {
  return a.index < b.index ? `${a.index}-${b.index}` : `${b.index}-${a.index}`
}
