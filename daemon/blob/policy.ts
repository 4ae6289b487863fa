// Replication policy: what a node does with the bytes of a blob another member
// published. `eager` fetches them as soon as the metadata arrives; `on-demand`
// keeps metadata only until someone here fetches it (then keeps the bytes);
// `none` never keeps them (a fetch here downloads, serves the caller, deletes).
// One mode for everything (`--replicate MODE`, config `replicate`) and
// overrides per key prefix (config `replicatePrefixes`; the longest match wins).

export type ReplicateMode = 'eager' | 'on-demand' | 'none'

export const REPLICATE_MODES: readonly ReplicateMode[] = ['eager', 'on-demand', 'none']

export function isReplicateMode (v: unknown): v is ReplicateMode {
  return typeof v === 'string' && (REPLICATE_MODES as readonly string[]).includes(v)
}

export class ReplicationPolicy {
  private readonly fallback: ReplicateMode
  private readonly prefixes: Array<[string, ReplicateMode]>

  constructor (mode: ReplicateMode, prefixes: Record<string, ReplicateMode> = {}) {
    this.fallback = mode
    this.prefixes = Object.entries(prefixes).sort((a, b) => b[0].length - a[0].length)
  }

  modeOf (key: string): ReplicateMode {
    for (const [prefix, mode] of this.prefixes) if (key.startsWith(prefix)) return mode
    return this.fallback
  }

  /** The most keeping mode among keys (a blob under two keys is kept if either says so). */
  modeOfKeys (keys: Iterable<string>): ReplicateMode {
    let best: ReplicateMode = 'none'
    for (const key of keys) {
      const m = this.modeOf(key)
      if (m === 'eager') return m
      if (m === 'on-demand') best = m
    }
    return best
  }
}
