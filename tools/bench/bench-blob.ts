// Blob transfer benchmark with real daemon processes on 127.0.0.1 (not a test):
//   stream-1gib-mbps       one plain libp2p stream, same stack and limits as the daemon, 1 MiB send()s
//                          (mean of a run just before and one just after the blob fetch)
//   blob-1gib-mbps         A → F: F's daemon fetches a 1 GiB blob A published (until verified and in place)
//   blob-1gib-ratio        the two above, divided (target ≥ 0.8)
//   stream-file-1gib-mbps  extra: the plain stream file to file (sender reads the file, receiver writes + fsyncs)
//   blob-file-1gib-ratio   extra: blob-1gib-mbps ÷ stream-file-1gib-mbps
//   single-256mib-mbps     one holder → F, 256 MiB (median of 3, after a warm-up pair)
//   multi-256mib-mbps      three holders → F, 256 MiB (target ≥ single; median of 3, alternated with the above)
//   multi-256mib-overhead  bytes F received / blob size in the three-holder fetches (1 = no chunk twice)
//   blob-1gib-rss-mib      largest peak RSS (VmHWM) among every process of the 1 GiB publish and fetch:
//                          both daemons and both CLI processes (target < 200 MB)
//   paced-single-mbps      extra: one holder → F when every holder's uploads are capped at PACED_RATE
//   paced-multi-mbps       (--max-upload-rate), a stand-in for sites whose uplink is the bound rather
//   paced-multi-speedup    than this machine's two cores: three holders ÷ one
// Run: npm run build && node dist/tools/bench/bench-blob.js [GiB=1]
// benchBlob() is the reusable core: it returns { name, value, unit }[].

import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { quantile } from '../../sim/report.js'
import { MAIN, Node, until } from '../../test/helpers/daemons.js'

export interface Metric { name: string, value: number, unit: string }

const MiB = 1024 * 1024
const PEER = new URL('./bench-stream-peer.js', import.meta.url).pathname
/** Key prefix h2 and h3 do not mirror: blobs under it have one holder, A. */
const ONLY_A = 'bench/one/'
/** Measured one-holder / three-holder pairs (after one warm-up pair). */
const PAIRS = 3
/** Paced phase: each holder's upload cap (mycel daemon --max-upload-rate), an uplink's worth. */
const PACED_RATE = '40M'

export function peakRssMiB (pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m === null ? 0 : Math.round(Number(m[1]) / 1024)
  } catch {
    return 0 // the process has exited
  }
}

export async function randomFile (path: string, size: number): Promise<void> {
  const out = createWriteStream(path)
  for (let done = 0; done < size; done += 4 * MiB) {
    if (!out.write(randomBytes(Math.min(4 * MiB, size - done)))) await new Promise<void>(resolve => { out.once('drain', () => { resolve() }) })
  }
  await new Promise<void>((resolve, reject) => { out.end((err?: Error | null) => { if (err != null) reject(err); else resolve() }) })
}

/** Runs a process to completion, sampling its peak RSS; resolves with stdout lines and that peak. */
async function runSampled (args: string[]): Promise<{ code: number | null, stdout: string, rssMiB: number }> {
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  let rss = 0
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  const timer = setInterval(() => { if (proc.pid !== undefined) rss = Math.max(rss, peakRssMiB(proc.pid)) }, 20)
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  clearInterval(timer)
  return { code, stdout, rssMiB: rss }
}

export async function token (node: Node): Promise<string> {
  return (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
}

/**
 * Time until F's daemon has the blob verified and in place: `GET /v1/blobs/<key>?wait=S` answers only
 * then. (Not `/content?wait=S`: since the API streams bytes not here as the fetch verifies them, its
 * headers come at the first chunk, and timing them measured nothing but the start of the transfer.)
 */
export async function timeFetch (f: Node, key: string): Promise<number> {
  const t0 = performance.now()
  let res: Response
  try {
    // Below undici's 300 s headers timeout, so a stuck fetch fails with the fetcher's view of it.
    res = await fetch(`${f.ready?.api}/v1/blobs/${encodeURIComponent(key)}?wait=240`, { headers: { authorization: `Bearer ${await token(f)}` }, signal: AbortSignal.timeout(250_000) })
  } catch (err) {
    const status = await f.api('GET', `/v1/blobs/${encodeURIComponent(key)}`).then(r => JSON.stringify(r.body), e => String(e))
    throw new Error(`fetch of ${key} failed (${String(err)}); F's view: ${status}\nF's log: ${f.log.slice(-2000)}`)
  }
  const ms = performance.now() - t0
  const body = await res.json() as { local?: string }
  if (res.status !== 200 || body.local !== 'complete') throw new Error(`fetch of ${key} answered ${res.status} ${JSON.stringify(body)}`)
  return ms
}

async function transfer (f: Node, key: string): Promise<{ bytesReceived: number, size: number }> {
  const s = (await f.api<{ size: number, transfer?: { bytesReceived: number } }>('GET', `/v1/blobs/${encodeURIComponent(key)}`)).body
  return { bytesReceived: s.transfer?.bytesReceived ?? 0, size: s.size }
}

async function publish (node: Node, file: string, key: string): Promise<number> {
  const r = await runSampled([MAIN, 'publish', file, key, '--dir', node.dir, '--json'])
  if (r.code !== 0) throw new Error(`publish ${key} failed`)
  return r.rssMiB
}

async function connected (node: Node, n: number): Promise<void> {
  await until(`${n} peers connected`, async () => (await node.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length >= n, 30_000)
}

/** A plain libp2p stream between two processes: MB/s and both peaks. With `files`, file to file (read there, written and fsynced here). */
export async function streamBaseline (bytes: number, files?: { from: string, to: string }): Promise<{ mbps: number, rssMiB: number }> {
  const recv = spawn(process.execPath, [PEER, 'recv', ...(files === undefined ? [] : [files.to])], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const lines: string[] = []
    let buf = ''
    recv.stdout.on('data', (c: Buffer) => { buf += c.toString(); const parts = buf.split('\n'); buf = parts.pop() ?? ''; lines.push(...parts) })
    await until('receiver listening', () => lines.length > 0, 20_000)
    const { addr } = JSON.parse(lines[0] as string) as { addr: string }
    const send = await runSampled([PEER, 'send', addr, String(bytes), ...(files === undefined ? [] : [files.from])])
    await until('receiver report', () => lines.length > 1, 20_000)
    const sent = JSON.parse(send.stdout.trim()) as { ms: number, rssMiB: number }
    const got = JSON.parse(lines[1] as string) as { bytes: number, rssMiB: number }
    if (got.bytes !== bytes) throw new Error(`baseline receiver got ${got.bytes} of ${bytes} bytes`)
    return { mbps: bytes / 1e6 / (sent.ms / 1000), rssMiB: Math.max(sent.rssMiB, got.rssMiB) }
  } finally {
    recv.kill()
  }
}

export async function benchBlob (options: { bigBytes?: number, multiBytes?: number, log?: (line: string) => void } = {}): Promise<Metric[]> {
  const big = options.bigBytes ?? 1024 * MiB
  const mid = options.multiBytes ?? 256 * MiB
  const log = options.log ?? (() => {})
  const work = await mkdtemp(join(tmpdir(), 'mycel-bench-blob-'))
  const nodes: Node[] = []
  try {
    // h2 and h3 mirror every blob but those under ONLY_A, so the one-holder and three-holder fetches
    // run against the same four warm processes (restarting h2 and h3 between them, as this bench once
    // did, handed the three-holder fetch two freshly started senders with cold JIT code).
    const a = await Node.create()
    const holder = { replicatePrefixes: { [ONLY_A]: 'none' } }
    const [h2, h3] = [await Node.create(holder), await Node.create(holder)]
    const f = await Node.create({ replicate: 'on-demand' })
    nodes.push(a, h2, h3, f)
    await a.start(['--log-level', 'warn'])
    const invite = await a.invite({ uses: 3 })
    await Promise.all([h2, h3, f].map(async n => await n.start(['--join', invite, '--log-level', 'warn'])))
    await connected(f, 3)
    // The paced phase restarts every node: each keeps its port, so the others find it where it was.
    for (const n of nodes) n.listen = (n.ready?.listen[0] ?? n.listen).replace(/\/p2p\/.*$/, '')

    // Three holders vs one: PAIRS + 1 pairs of blobs (the first pair warms every process up and is not
    // counted), fetched one-holder then three-holder in turn; the medians are reported.
    const pairs: Array<{ one: string, three: string }> = []
    for (let i = 0; i <= PAIRS; i++) {
      const pair = { one: `${ONLY_A}x${i}`, three: `bench/all/x${i}` }
      for (const key of [pair.one, pair.three]) {
        await randomFile(join(work, 'mid'), mid)
        await publish(a, join(work, 'mid'), key)
      }
      pairs.push(pair)
    }
    log(`mirroring ${PAIRS + 1} blobs of ${mid / MiB} MiB to h2 and h3`)
    await until('h2 and h3 mirrored', async () => {
      const s = await Promise.all([h2, h3].flatMap(n => pairs.map(async p => (await n.api<{ local: string }>('GET', `/v1/blobs/${encodeURIComponent(p.three)}`)).body.local)))
      return s.every(l => l === 'complete')
    }, 600_000, 200)
    const singles: number[] = []
    const multis: number[] = []
    let received = 0
    for (const [i, pair] of pairs.entries()) {
      const single = mid / 1e6 / (await timeFetch(f, pair.one) / 1000)
      const multi = mid / 1e6 / (await timeFetch(f, pair.three) / 1000)
      const t = await transfer(f, pair.three)
      log(`pair ${i}${i === 0 ? ' (warm-up, not counted)' : ''}: one holder ${single.toFixed(0)} MB/s, three holders ${multi.toFixed(0)} MB/s (received ${t.bytesReceived} of ${t.size})`)
      if (i === 0) continue
      singles.push(single)
      multis.push(multi)
      received += t.bytesReceived / t.size
    }
    await Promise.all([h2.stop(), h3.stop()])
    await until('f sees only a', async () => (await f.api<{ peers: unknown[] }>('GET', '/v1/status')).body.peers.length === 1, 30_000)

    // 1 GiB A → F, between two runs of the plain stream (the machine's load drifts; their mean is the baseline).
    await randomFile(join(work, 'big'), big)
    // Under ONLY_A, so that h2 and h3, restarted for the paced phase, do not mirror it meanwhile.
    const bigKey = `${ONLY_A}big`
    const publishCliRss = await publish(a, join(work, 'big'), bigKey)
    const before = await streamBaseline(big)
    log(`plain stream 1 GiB (before): ${before.mbps.toFixed(0)} MB/s (peak RSS ${before.rssMiB} MiB)`)
    const blobMs = await timeFetch(f, bigKey)
    const fetchCli = await runSampled([MAIN, 'fetch', bigKey, '-o', join(work, 'big.out'), '--dir', f.dir, '--json'])
    if (fetchCli.code !== 0) throw new Error('CLI fetch of the big blob failed')
    const rss = { a: peakRssMiB(a.proc?.pid as number), f: peakRssMiB(f.proc?.pid as number) }
    const daemonRss = Math.max(rss.a, rss.f)
    log(`blob 1 GiB: ${(big / 1e6 / (blobMs / 1000)).toFixed(0)} MB/s; peak RSS daemons A ${rss.a} MiB, F ${rss.f} MiB, publish CLI ${publishCliRss}, fetch CLI ${fetchCli.rssMiB}`)
    await Promise.all(nodes.map(async n => { await n.stop() }))
    const after = await streamBaseline(big)
    log(`plain stream 1 GiB (after): ${after.mbps.toFixed(0)} MB/s (peak RSS ${after.rssMiB} MiB)`)
    const stream = { mbps: (before.mbps + after.mbps) / 2 }
    // Extra, not the baseline: the same stream file to file (sender reads the blob's file,
    // receiver writes and fsyncs a copy), i.e. the disk work a fetch cannot avoid, without hashing.
    const fileToFile = await streamBaseline(big, { from: join(work, 'big'), to: join(work, 'big.copy') })
    log(`plain stream 1 GiB file to file: ${fileToFile.mbps.toFixed(0)} MB/s (peak RSS ${fileToFile.rssMiB} MiB)`)
    const paced = await pacedHolders({ a, h2, h3, f }, Math.min(128 * MiB, mid), work, log)

    const blobMbps = big / 1e6 / (blobMs / 1000)
    return [
      { name: 'blob-1gib-mbps', value: round(blobMbps), unit: 'MB/s' },
      { name: 'stream-1gib-mbps', value: round(stream.mbps), unit: 'MB/s' },
      { name: 'blob-1gib-ratio', value: round(blobMbps / stream.mbps, 2), unit: 'ratio' },
      { name: 'stream-file-1gib-mbps', value: round(fileToFile.mbps), unit: 'MB/s' },
      { name: 'blob-file-1gib-ratio', value: round(blobMbps / fileToFile.mbps, 2), unit: 'ratio' },
      { name: 'single-256mib-mbps', value: round(median(singles)), unit: 'MB/s' },
      { name: 'multi-256mib-mbps', value: round(median(multis)), unit: 'MB/s' },
      { name: 'multi-256mib-overhead', value: round(received / PAIRS, 3), unit: 'ratio' },
      { name: 'blob-1gib-rss-mib', value: Math.max(daemonRss, publishCliRss, fetchCli.rssMiB), unit: 'MiB' },
      { name: 'paced-single-mbps', value: round(paced.single), unit: 'MB/s' },
      { name: 'paced-multi-mbps', value: round(paced.multi), unit: 'MB/s' },
      { name: 'paced-multi-speedup', value: round(paced.multi / paced.single, 2), unit: 'ratio' }
    ]
  } finally {
    await Promise.all(nodes.map(async n => { await n.destroy() }))
    await rm(work, { recursive: true, force: true })
  }
}

/**
 * One holder against three when each holder's serving is the bound (as a site's uplink is), not this
 * machine's two shared cores: A, h2 and h3 restart with an upload cap, F without; one fresh pair of blobs.
 */
async function pacedHolders (n: { a: Node, h2: Node, h3: Node, f: Node }, size: number, work: string, log: (line: string) => void): Promise<{ single: number, multi: number }> {
  const capped = ['--log-level', 'warn', '--max-upload-rate', PACED_RATE]
  await n.a.start(capped)
  await Promise.all([n.h2, n.h3].map(async h => await h.start(capped)))
  await n.f.start(['--log-level', 'warn'])
  await connected(n.f, 3)
  const pair = { one: `${ONLY_A}paced`, three: 'bench/all/paced' }
  for (const key of [pair.one, pair.three]) {
    await randomFile(join(work, 'paced'), size)
    await publish(n.a, join(work, 'paced'), key)
  }
  await until('h2 and h3 mirrored the paced blob', async () => {
    const s = await Promise.all([n.h2, n.h3].map(async h => (await h.api<{ local: string }>('GET', `/v1/blobs/${encodeURIComponent(pair.three)}`)).body.local))
    return s.every(l => l === 'complete')
  }, 120_000, 200)
  const single = size / 1e6 / (await timeFetch(n.f, pair.one) / 1000)
  const multi = size / 1e6 / (await timeFetch(n.f, pair.three) / 1000)
  log(`holders capped at ${PACED_RATE}B/s, ${size / MiB} MiB: one holder ${single.toFixed(0)} MB/s, three holders ${multi.toFixed(0)} MB/s`)
  return { single, multi }
}

function median (xs: number[]): number {
  return quantile([...xs].sort((x, y) => x - y), 0.5) ?? NaN
}

function round (v: number, digits = 0): number {
  const k = 10 ** digits
  return Math.round(v * k) / k
}

if (process.argv[1]?.endsWith('bench-blob.js') === true) {
  const gib = Number(process.argv[2] ?? 1)
  const metrics = await benchBlob({ bigBytes: Math.round(gib * 1024 * MiB), log: line => { process.stderr.write(line + '\n') } })
  for (const m of metrics) process.stdout.write(`${m.name.padEnd(24)} ${String(m.value).padStart(8)} ${m.unit}\n`)
}
