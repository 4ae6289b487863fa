// 1, 2 and 6 for blobs: A→B transfer of 256 MiB and 1 GiB against a plain
// libp2p stream over the same stack in the same run, and three holders → one
// fetcher. The measurement itself comes with blob transfer (branch `blob`),
// which exports a function returning these results; until it is merged this
// benchmark reports them as skipped. Wiring: set BLOB_MEASURE_MODULE to the
// module (relative to this file, compiled .js) that exports `measureBlobs`.

import { skipped, type BenchContext, type BenchResult, type Benchmark } from './result.js'

/** The blob branch's measurement module; undefined until it is merged. */
const BLOB_MEASURE_MODULE: string | undefined = undefined

type MeasureBlobs = (options: { quick: boolean, say: (line: string) => void }) => Promise<BenchResult[]>

const NAMES = ['blob-1gib-mbps', 'stream-1gib-mbps', 'blob-1gib-ratio', 'single-256mib-mbps', 'multi-256mib-mbps', 'multi-256mib-overhead', 'blob-1gib-rss-mib', 'multi-256mib-rss-mib']
const TARGETS: Record<string, string> = { 'blob-1gib-ratio': '>= 0.8', 'multi-256mib-mbps': '>= single-256mib-mbps', 'multi-256mib-overhead': '<= 1.05' }

export const blobBench: Benchmark = {
  id: 'blob',
  title: 'blob transfer: A→B vs plain stream; three holders → one fetcher',
  names: NAMES,
  async run (ctx: BenchContext) {
    if (BLOB_MEASURE_MODULE === undefined) return skipped(NAMES, 'blob transfer (branch blob) not merged yet')
    const mod = await import(BLOB_MEASURE_MODULE) as { measureBlobs?: MeasureBlobs }
    if (typeof mod.measureBlobs !== 'function') return skipped(NAMES, `${BLOB_MEASURE_MODULE} exports no measureBlobs`)
    const results = await mod.measureBlobs({ quick: ctx.quick, say: ctx.say })
    return results.map(r => ({ ...r, target: r.target ?? TARGETS[r.name] }))
  }
}
