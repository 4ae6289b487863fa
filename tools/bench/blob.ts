// 1, 2 and 6 for blobs: A→B transfer of 1 GiB against a plain libp2p stream
// over the same stack in the same run, one holder vs three holders → one
// fetcher at 256 MiB, and peak RSS. The measurement is blob transfer's own
// (bench-blob.ts, `benchBlob`); it is loaded at run time so this
// harness compiles and reports the blob figures as skipped on a tree without it.
// Quick: 128 MiB and 32 MiB instead of 1 GiB and 256 MiB (same names).

import { MIB, skipped, type BenchContext, type BenchResult, type Benchmark } from './result.js'

/** Relative to the compiled file (dist/tools/bench/blob.js). */
const BLOB_BENCH_MODULE = './bench-blob.js'

type BenchBlob = (options: { bigBytes?: number, multiBytes?: number, log?: (line: string) => void }) => Promise<Array<{ name: string, value: number, unit: string }>>

const NAMES = ['blob-1gib-mbps', 'stream-1gib-mbps', 'blob-1gib-ratio', 'stream-file-1gib-mbps', 'blob-file-1gib-ratio', 'single-256mib-mbps', 'multi-256mib-mbps', 'multi-256mib-overhead', 'blob-1gib-rss-mib', 'paced-single-mbps', 'paced-multi-mbps', 'paced-multi-speedup']
const TARGETS: Record<string, string> = { 'blob-1gib-ratio': '>= 0.8', 'multi-256mib-mbps': '>= single-256mib-mbps', 'multi-256mib-overhead': '<= 1.05' }
const NOTES: Record<string, string> = {
  'stream-1gib-mbps': 'one plain libp2p stream, same stack, mean of a run before and after the blob fetch',
  'blob-1gib-rss-mib': 'largest of both daemons and the publish/fetch CLI processes',
  'stream-file-1gib-mbps': 'extra: the same stream file to file (sender reads the file, receiver writes and fsyncs), no hashing',
  'blob-file-1gib-ratio': 'extra: blob-1gib-mbps ÷ stream-file-1gib-mbps',
  'multi-256mib-overhead': 'bytes received ÷ blob size',
  'paced-single-mbps': 'extra: one holder → F, every holder capped at 40 MB/s (--max-upload-rate 40M, a stand-in for a site uplink); 128 MiB, 32 with --quick',
  'paced-multi-mbps': 'extra: three such holders → F',
  'paced-multi-speedup': 'extra: paced-multi-mbps ÷ paced-single-mbps'
}

export const blobBench: Benchmark = {
  id: 'blob',
  title: 'blob transfer: A→B vs plain stream; three holders → one fetcher',
  names: NAMES,
  async run (ctx: BenchContext) {
    let benchBlob: BenchBlob | undefined
    try {
      benchBlob = (await import(BLOB_BENCH_MODULE) as { benchBlob?: BenchBlob }).benchBlob
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err
    }
    if (benchBlob === undefined) return skipped(NAMES, 'blob transfer (branch blob) not merged yet')
    const bigBytes = ctx.quick ? 128 * MIB : 1024 * MIB
    const multiBytes = ctx.quick ? 32 * MIB : 256 * MIB
    const metrics = await benchBlob({ bigBytes, multiBytes, log: ctx.say })
    const sizes = `${bigBytes / MIB} MiB / ${multiBytes / MIB} MiB`
    const results: BenchResult[] = metrics.map(m => ({ ...m, target: TARGETS[m.name], note: NOTES[m.name] ?? sizes }))
    for (const name of NAMES) if (!results.some(r => r.name === name)) results.push(...skipped([name], 'not reported by benchBlob'))
    return results
  }
}
