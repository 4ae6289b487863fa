// What the abuse tests and tools/abuse measure on a real daemon from outside: its resident set size
// (from /proc, Linux) and how long its API takes to answer `GET /v1/status` while something else runs.

import { readFile } from 'node:fs/promises'
import type { Node } from './daemons.js'

/** Current RSS of a daemon in MiB (VmRSS), NaN where /proc is missing. */
export async function rssMib (node: Node): Promise<number> {
  const pid = node.proc?.pid
  if (pid === undefined) return NaN
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1]) / 1024
  } catch {
    return NaN
  }
}

/** Peak RSS in MiB (VmHWM). */
export async function peakRssMib (node: Node): Promise<number> {
  const pid = node.proc?.pid
  if (pid === undefined) return NaN
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    return Number(/VmHWM:\s+(\d+)\s+kB/.exec(status)?.[1]) / 1024
  } catch {
    return NaN
  }
}

export interface LatencySample { atMs: number, ms: number }

/**
 * Asks `GET /v1/status` one request after another until stopped, recording each answer's time. One
 * request in flight at a time, so a stalled loop shows as one long answer, not a queue of them.
 */
export class StatusProbe {
  readonly samples: LatencySample[] = []
  private running = true
  private done: Promise<void>

  constructor (private readonly node: Node, private readonly pauseMs = 10) {
    this.done = this.loop()
  }

  private async loop (): Promise<void> {
    while (this.running) {
      const t0 = performance.now()
      try {
        await this.node.api('GET', '/v1/status')
      } catch {
        // a failed answer is recorded by its time too
      }
      this.samples.push({ atMs: Date.now(), ms: performance.now() - t0 })
      await new Promise(resolve => setTimeout(resolve, this.pauseMs))
    }
  }

  async stop (): Promise<LatencySample[]> {
    this.running = false
    await this.done
    return this.samples
  }

  get maxMs (): number {
    return this.samples.reduce((m, s) => Math.max(m, s.ms), 0)
  }
}

/** The largest value, and the given percentile (0..1) of `values`. */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number
}
