// Wall time of a whole command, from spawn to exit, as the benchmarks of what a user runs take it.
import { spawnSync } from 'node:child_process'
import { MIB } from './result.js'

/** Wall ms of one process from spawn to exit; throws if it fails. */
export function timed (file: string, args: string[]): number {
  const t = performance.now()
  const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * MIB })
  const ms = performance.now() - t
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${String(r.status)}: ${r.stderr.toString().slice(0, 500)}`)
  return ms
}
