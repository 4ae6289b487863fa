// Real daemons for the benchmarks (the integration harness's Node), and
// their peak resident set size, read from /proc before they stop: VmHWM is
// the kernel's high-water mark of the process's RSS.

import { readFile } from 'node:fs/promises'
import { Node, until } from '../../test/helpers/daemons.js'
import { joinArgsVia } from '../chaos/join.js'

/** A bench daemon: logs at warn (logging every event would measure the logger). */
export async function startNode (args: string[] = []): Promise<Node> {
  const node = await Node.create({ logLevel: 'warn' })
  await node.start(args, 60_000)
  return node
}

/** A member joined with an invite from `inviter`; `args` are more daemon flags (e.g. `--npm ADDR`). */
export async function joinNode (inviter: Node, config: Record<string, unknown> = {}, args: string[] = []): Promise<{ node: Node, spawnedAt: number }> {
  const join = await joinArgsVia(inviter)
  const node = await Node.create({ logLevel: 'warn', ...config })
  const spawnedAt = performance.now()
  await node.start([...join, ...args], 60_000)
  return { node, spawnedAt }
}

/** Peak RSS in MiB of a running daemon (Linux); NaN where /proc is missing. */
export async function peakRssMib (node: Node): Promise<number> {
  return await statusMib(node, 'VmHWM')
}

/** RSS in MiB of a running daemon now (Linux); NaN where /proc is missing. */
export async function rssMib (node: Node): Promise<number> {
  return await statusMib(node, 'VmRSS')
}

async function statusMib (node: Node, field: 'VmHWM' | 'VmRSS'): Promise<number> {
  const pid = node.proc?.pid
  if (pid === undefined) return NaN
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = Number(new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(status)?.[1])
    return kb / 1024
  } catch {
    return NaN
  }
}

export async function keysOf (node: Node): Promise<number> {
  return (await node.api<{ keys: number }>('GET', '/v1/status')).body.keys
}

/** The daemon's own record of the remote events it applied: how many, first and last (wall ms). */
export async function remoteAppliedOf (node: Node): Promise<{ count: number, firstAtMs: number, lastAtMs: number }> {
  const stats = (await node.api<{ stats: { remoteApplied?: { count: number, firstAtMs: number | null, lastAtMs: number | null } } }>('GET', '/v1/status')).body.stats
  const r = stats.remoteApplied
  if (r === undefined || r.firstAtMs === null || r.lastAtMs === null) throw new Error('the daemon reports no remote applies (status.stats.remoteApplied)')
  return { count: r.count, firstAtMs: r.firstAtMs, lastAtMs: r.lastAtMs }
}

/** Publishes `count` small blobs `prefix/i` with `inFlight` requests at a time; returns seconds taken. */
export async function publishMany (node: Node, prefix: string, count: number, inFlight: number, content: (i: number) => string): Promise<number> {
  let next = 0
  const t = performance.now()
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      const i = next++
      const res = await node.publish(`${prefix}/${i}`, content(i))
      if (res.status !== 201) throw new Error(`publish ${prefix}/${i} answered ${res.status}: ${JSON.stringify(res.body)}`)
    }
  }))
  return (performance.now() - t) / 1000
}

export { Node, until }
