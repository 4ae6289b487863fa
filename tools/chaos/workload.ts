// The chaos workload: WORKERS loops, paced to OPS_PER_SEC in all, each step a
// publish (60 %), an rm (25 %) or a fetch (15 %) on a random node that is up,
// over a small shared key space. Every write lands in the history with its
// outcome (history.ts).
//
// Fetch asks a random node for a key's bytes by digest (the node gets them
// from whichever members hold them) and checks them against the digest.

import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ChaosCluster, ChaosNode } from './cluster.js'
import type { Violations, WriteRecord } from './history.js'
import { FETCH_WAIT_S, KEY_SPACE, LARGE_BYTES, LARGE_EVERY, OPS_PER_SEC, REQUEST_TIMEOUT_MS, WORKERS } from './limits.js'
import type { Prng } from './prng.js'

interface Answer { status: number, body: { stamp?: string, author?: string, digest?: string, error?: unknown } }

export class Workload {
  readonly writes: WriteRecord[] = []
  fetches = 0
  /** Fetch steps whose bytes the node could not get in time (holders down or cut off). */
  fetchesUnserved = 0
  /** Writes in flight per node index, so a kill can be aimed at a node with one in flight. */
  readonly inFlight = new Map<number, number>()
  private stopped = false
  private seq = 0
  private readonly cluster: ChaosCluster
  private readonly rng: Prng
  private readonly violations: Violations
  private readonly seed: number

  constructor (cluster: ChaosCluster, rng: Prng, violations: Violations, seed: number) {
    this.cluster = cluster
    this.rng = rng
    this.violations = violations
    this.seed = seed
  }

  /** Runs until stop(); resolves when every worker has finished its last request. */
  async run (): Promise<void> {
    const periodMs = 1000 * WORKERS / OPS_PER_SEC
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (!this.stopped) {
        const next = Date.now() + periodMs
        await this.step()
        const wait = next - Date.now()
        if (wait > 0 && !this.stopped) await new Promise(resolve => setTimeout(resolve, wait))
      }
    }))
  }

  stop (): void { this.stopped = true }

  private async step (): Promise<void> {
    const up = this.cluster.up()
    if (up.length === 0) return
    const n = this.rng.pick(up)
    const key = `k/${this.rng.int(KEY_SPACE)}`
    const r = this.rng.float()
    if (r < 0.6) await this.put(n, key)
    else if (r < 0.85) await this.remove(n, key)
    else await this.fetch(n, key)
  }

  private async put (n: ChaosNode, key: string): Promise<void> {
    const i = this.seq++
    const head = `seed ${this.seed} write ${i} key ${key} node ${n.index}\n`
    const content = i % LARGE_EVERY === 0 ? head + 'x'.repeat(LARGE_BYTES) : head
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`
    await this.write({ op: 'put', key, node: n.index, digest }, n, 'PUT', content)
  }

  private async remove (n: ChaosNode, key: string): Promise<void> {
    await this.write({ op: 'delete', key, node: n.index }, n, 'DELETE')
  }

  private async write (base: Pick<WriteRecord, 'op' | 'key' | 'node' | 'digest'>, n: ChaosNode, method: string, body?: string): Promise<void> {
    const startMs = Date.now()
    const record: WriteRecord = { ...base, startMs, endMs: startMs, outcome: 'unknown' }
    this.writes.push(record)
    this.inFlight.set(n.index, (this.inFlight.get(n.index) ?? 0) + 1)
    try {
      const res = await withTimeout(n.node.api<Answer['body']>(method, `/v1/keys/${encodeURIComponent(base.key)}`, body))
      if (res.status >= 200 && res.status < 300) {
        record.outcome = 'acked'
        record.stamp = res.body.stamp
        record.author = res.body.author
        if (base.op === 'put' && res.body.digest !== base.digest) this.violations.add('publish-digest', `${base.key}: sent ${String(base.digest)}, daemon answered ${String(res.body.digest)}`)
      } else if (res.status < 500) {
        record.outcome = 'failed'
      }
    } catch (err) {
      if (refused(err)) record.outcome = 'failed'
    } finally {
      this.inFlight.set(n.index, (this.inFlight.get(n.index) ?? 1) - 1)
    }
    record.endMs = Date.now()
  }

  /**
   * Looks the key up on node n, then asks n for the bytes by digest (n fetches them from whichever
   * members hold them if it has not got them, waiting up to FETCH_WAIT_S). A blob n cannot get (its
   * holders down or cut off) is counted, not a violation; bytes that do not match the digest are.
   */
  private async fetch (n: ChaosNode, key: string): Promise<void> {
    let entry: Answer
    try {
      entry = await withTimeout(n.node.api<Answer['body']>('GET', `/v1/keys/${encodeURIComponent(key)}`))
    } catch {
      return // the node went down meanwhile
    }
    if (entry.status !== 200 || entry.body.digest === undefined) return
    const hex = entry.body.digest.replace(/^sha256:/, '')
    let bytes: Buffer | undefined
    try {
      bytes = await withTimeout(rawGet(n, `/v1/blobs/sha256:${hex}/content?wait=${FETCH_WAIT_S}`))
    } catch {
      bytes = undefined
    }
    if (bytes === undefined) { this.fetchesUnserved++; return }
    this.fetches++
    const got = createHash('sha256').update(bytes).digest('hex')
    if (got !== hex) this.violations.add('fetch-digest', `node ${n.index} ${key}: fetched sha256:${hex}, got bytes hashing to ${got}`)
  }
}

/** A GET answering bytes; undefined unless 200. */
async function rawGet (n: ChaosNode, path: string): Promise<Buffer | undefined> {
  const url = n.node.ready?.api
  if (url === undefined) return undefined
  const token = (await readFile(join(n.node.dir, 'api.token'), 'utf8')).trim()
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } })
  const body = Buffer.from(await res.arrayBuffer())
  return res.status === 200 ? body : undefined
}

async function withTimeout<T> (p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)) }, REQUEST_TIMEOUT_MS)
    })])
  } finally {
    clearTimeout(timer)
  }
}

/** The connection was refused: the request never reached a daemon. */
function refused (err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause
  return cause?.code === 'ECONNREFUSED' || (err as Error | undefined)?.message === 'node not started'
}
