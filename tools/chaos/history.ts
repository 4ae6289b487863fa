// What the workload did, as the checkers need it. Every write is recorded
// with its outcome:
//   acked    — the API answered 2xx: the write is durable and must survive
//   unknown  — the request died with the daemon (or timed out, or got a 5xx):
//              it may or may not have been written
//   failed   — the daemon answered no (4xx, e.g. rm of a key not live there)
//              or refused the connection: nothing was written
// Contents are unique per write, so a blob digest names the write that made it.

export type Outcome = 'acked' | 'unknown' | 'failed'

export interface WriteRecord {
  op: 'put' | 'delete'
  key: string
  node: number
  /** sha256:<hex> of the content (puts). */
  digest?: string
  /** Harness wall clock (Date.now) when the request was sent and when its outcome was known. */
  startMs: number
  endMs: number
  outcome: Outcome
  /** From the answer, when acked. */
  stamp?: string
  author?: string
}

export interface Violation {
  check: string
  message: string
}

/** Bounds the detail printed per check. */
const MAX_VIOLATIONS_PER_CHECK = 20

export class Violations {
  readonly list: Violation[] = []
  private readonly perCheck = new Map<string, number>()

  add (check: string, message: string): void {
    const n = (this.perCheck.get(check) ?? 0) + 1
    this.perCheck.set(check, n)
    if (n <= MAX_VIOLATIONS_PER_CHECK) this.list.push({ check, message })
    else if (n === MAX_VIOLATIONS_PER_CHECK + 1) this.list.push({ check, message: '… further violations of this check not listed' })
  }
}

/** Compares HLC stamps `<wall>.<logical>`, ties broken by author (the core's LWW order). */
export function compareVersion (a: { stamp: string, author: string }, b: { stamp: string, author: string }): number {
  const [aw, al] = a.stamp.split('.').map(Number) as [number, number]
  const [bw, bl] = b.stamp.split('.').map(Number) as [number, number]
  if (aw !== bw) return aw - bw
  if (al !== bl) return al - bl
  return a.author < b.author ? -1 : a.author > b.author ? 1 : 0
}

export function wallOfStamp (stamp: string): number {
  return Number(stamp.split('.')[0])
}
