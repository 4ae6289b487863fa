// 7. What the user runs (issue #22), each whole command timed from spawn to exit against the plain
// tool a user would use instead, in the same run, as a ratio:
//   cli-start-ms           `mycel --version`, `mycel status`, `mycel ls` against a running daemon
//                          (median of 11 each; the worst of the three is the figure), beside `node -e 0`
//   fetch-local-1gib       `mycel fetch KEY -o FILE` of bytes the daemon holds (kernel copy + the CLI's
//                          hash + fsync) ÷ `cp` of the same file (page cache warm for both; median of 3),
//                          and ÷ `cp` + `sync` (the fetch's file is durable when it exits; cp's is not);
//                          and `fetch --link` (a hard link to the daemon's copy) ÷ `cp`: the target's row
//   publish-e2e-1gib       `mycel publish FILE KEY` ÷ (`cp` + `sync` + `sha256sum` of the file)
//   fetch-e2e-1gib         the whole `mycel fetch KEY -o FILE` on a fresh on-demand member, A the one
//                          holder ÷ (a plain HTTP download of the file, node:http → curl -o, + sha256sum)
//   publish-to-visible     a 1 KiB publish at A until B's event stream reports it replicated, p50 and
//                          p99 over 1 000 publishes one after another; three daemons on loopback
// Quick: 256 MiB files.

import { spawn } from 'node:child_process'
import { createReadStream } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createServer, request } from 'node:http'
import { percentile } from '../../test/helpers/probes.js'
import { joinNode, startNode, until } from './procs.js'
import { MAIN, type Node } from '../../test/helpers/daemons.js'
import { MIB, result, type Benchmark } from './result.js'
import { timed } from './timed.js'

const START_RUNS = 11
const COPY_RUNS = 3

/** The same without blocking this process's event loop (when it serves the bytes itself). */
async function timedAsync (file: string, args: string[]): Promise<number> {
  const t = performance.now()
  const proc = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  proc.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${String(code)}: ${err.slice(0, 500)}`)
  return performance.now() - t
}

const median = (xs: number[]): number => percentile(xs, 0.5)

async function writeRandomFile (path: string, bytes: number): Promise<void> {
  const f = await open(path, 'w')
  try {
    const block = randomBytes(4 * MIB)
    for (let done = 0; done < bytes; done += block.length) await f.write(block, 0, Math.min(block.length, bytes - done))
  } finally {
    await f.close()
  }
}

const VISIBLE_PUBLISHES = 1000
const ONE_KIB = 'v'.repeat(1024)

/** Follows `node`'s event stream; `seen(key)` resolves when a replicated event for key arrives. */
async function followReplicated (node: Node): Promise<{ seen: (key: string) => Promise<number>, close: () => void }> {
  const token = (await readFile(join(node.dir, 'api.token'), 'utf8')).trim()
  const waiting = new Map<string, (ms: number) => void>()
  const arrived = new Map<string, number>()
  const req = request(new URL('/v1/events?type=replicated', node.ready?.api), { headers: { authorization: `Bearer ${token}` } })
  await new Promise<void>((resolve, reject) => {
    req.once('error', reject)
    req.once('response', res => {
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (text: string) => {
        buf += text
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          if (line.trim() === '') continue
          const at = performance.now()
          const key = (JSON.parse(line) as { key?: string }).key
          if (key === undefined) continue
          const w = waiting.get(key)
          if (w !== undefined) { waiting.delete(key); w(at) } else arrived.set(key, at)
        }
      })
      resolve()
    })
    req.end()
  })
  return {
    seen: async key => await new Promise<number>(resolve => {
      const at = arrived.get(key)
      if (at !== undefined) { arrived.delete(key); resolve(at) } else waiting.set(key, resolve)
    }),
    close: () => { req.destroy() }
  }
}

export const userPathBench: Benchmark = {
  id: 'user',
  title: 'what the user runs: CLI start, fetch of held bytes, publish, against plain tools',
  names: ['cli-start-ms', 'cli-start-version-ms', 'cli-start-status-ms', 'cli-start-ls-ms', 'node-start-ms', 'fetch-local-1gib-ratio', 'fetch-local-1gib-link-ratio', 'fetch-local-1gib-sync-ratio', 'fetch-local-1gib-s', 'publish-e2e-1gib-ratio', 'publish-e2e-1gib-s', 'fetch-e2e-1gib-ratio', 'fetch-e2e-1gib-s', 'publish-to-visible-p50-ms', 'publish-to-visible-p99-ms'],
  async run (ctx) {
    const size = ctx.quick ? 256 * MIB : 1024 * MIB
    const node = await startNode()
    try {
      const node0 = median(Array.from({ length: START_RUNS }, () => timed(process.execPath, ['-e', '0'])))
      const starts: Record<string, number> = {}
      for (const [name, args] of [['version', ['--version']], ['status', ['status', '--dir', node.dir]], ['ls', ['ls', '--dir', node.dir]]] as const) {
        starts[name] = median(Array.from({ length: START_RUNS }, () => timed(process.execPath, [MAIN, ...args])))
      }
      ctx.say(`start: node -e 0 ${node0.toFixed(0)} ms; --version ${starts.version?.toFixed(0)}, status ${starts.status?.toFixed(0)}, ls ${starts.ls?.toFixed(0)} ms`)

      const src = join(node.dir, 'artifact.bin')
      await writeRandomFile(src, size)
      const sizeText = `${size / MIB} MiB`
      // publish: the plain way to have a durable, checked copy of the file
      const pubs: number[] = []
      const plains: number[] = []
      for (let i = 0; i < COPY_RUNS; i++) {
        const copy = join(node.dir, `plain-${i}.bin`)
        plains.push(timed('cp', [src, copy]) + timed('sync', []) + timed('sha256sum', [copy]))
        await rm(copy)
        // a new key each time, same bytes: the daemon stores them again only if it dropped them
        pubs.push(timed(process.execPath, [MAIN, 'publish', src, `bench/user-${i}`, '--dir', node.dir]))
      }
      const pub = median(pubs)
      const plain = median(plains)
      ctx.say(`publish ${sizeText}: ${pub.toFixed(0)} ms; cp + sync + sha256sum ${plain.toFixed(0)} ms`)

      const fetches: number[] = []
      const links: number[] = []
      const cps: number[] = []
      const cpSyncs: number[] = []
      for (let i = 0; i < COPY_RUNS; i++) {
        const out = join(node.dir, `fetched-${i}.bin`)
        const cpOut = join(node.dir, `cp-${i}.bin`)
        timed('sync', []) // each starts with nothing dirty
        fetches.push(timed(process.execPath, [MAIN, 'fetch', 'bench/user-0', '-o', out, '--dir', node.dir]))
        const linked = join(node.dir, `linked-${i}.bin`)
        links.push(timed(process.execPath, [MAIN, 'fetch', 'bench/user-0', '-o', linked, '--link', '--dir', node.dir]))
        await rm(linked)
        timed('sync', [])
        cps.push(timed('cp', [src, cpOut]))
        cpSyncs.push((cps[cps.length - 1] as number) + timed('sync', []))
        await rm(out); await rm(cpOut)
      }
      const [fetched, linkedMs, cp, cpSync] = [median(fetches), median(links), median(cps), median(cpSyncs)]
      ctx.say(`fetch of held ${sizeText}: ${fetched.toFixed(0)} ms (--link ${linkedMs.toFixed(0)} ms); cp ${cp.toFixed(0)} ms; cp + sync ${cpSync.toFixed(0)} ms`)
      const label = ctx.quick ? '256mib' : '1gib'

      // fetch-e2e: the whole `mycel fetch` on a fresh on-demand member, A the one holder, against a plain
      // HTTP download of the same file on the same machine (node:http → curl -o) and sha256sum of it.
      const fresh = (await joinNode(node, { replicate: 'on-demand' })).node
      let e2e: number, plainHttp: number
      try {
        await until('the fresh member has the key', async () => (await fresh.keys()).some(k => k.key === 'bench/user-0'), 60_000)
        const out = join(fresh.dir, 'e2e.bin')
        e2e = timed(process.execPath, [MAIN, 'fetch', 'bench/user-0', '-o', out, '--dir', fresh.dir, '--wait', '10m'])
        await rm(out)
        const server = createServer((_req, res) => { res.writeHead(200, { 'content-length': size }); createReadStream(src).pipe(res) })
        await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
        try {
          const port = (server.address() as AddressInfo).port
          const downloaded = join(fresh.dir, 'plain.bin')
          plainHttp = await timedAsync('curl', ['-sS', '-o', downloaded, `http://127.0.0.1:${port}/`]) + timed('sha256sum', [downloaded])
          await rm(downloaded)
        } finally {
          server.close()
        }
      } finally {
        await fresh.destroy()
      }
      ctx.say(`fetch e2e of ${sizeText} on a fresh on-demand member: ${e2e.toFixed(0)} ms; HTTP download + sha256sum ${plainHttp.toFixed(0)} ms`)

      // publish-to-visible: three fresh daemons; a 1 KiB publish at A until B's event stream says replicated.
      // Fresh, because members joining the daemon above would spend the measurement mirroring its GiB
      // artifacts (eager is the default), and the figure is about how soon a publish is seen.
      const count = ctx.quick ? 200 : VISIBLE_PUBLISHES
      const a = await startNode()
      const { node: b } = await joinNode(a)
      const { node: c } = await joinNode(a)
      const lags: number[] = []
      try {
        const stream = await followReplicated(b)
        try {
          for (let i = 0; i < count; i++) {
            const key = `visible/${i}`
            const seen = stream.seen(key)
            const t = performance.now()
            const res = await a.publish(key, `${i}\n${ONE_KIB}`.slice(0, 1024))
            if (res.status !== 201) throw new Error(`publish ${key}: HTTP ${res.status}`)
            lags.push(await seen - t)
          }
        } finally {
          stream.close()
        }
      } finally {
        await Promise.all([a.destroy(), b.destroy(), c.destroy()])
      }
      const [p50, p99] = [percentile(lags, 0.5), percentile(lags, 0.99)]
      ctx.say(`publish → visible at B: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${count}`)
      return [
        result(`fetch-e2e-${label}-ratio`, e2e / plainHttp, '× (HTTP download + sha256sum)', { target: '<= 1.5', note: `${sizeText}: the whole mycel fetch -o on a fresh on-demand member (CLI start to exit, verified, fsynced), one holder, one run; against node:http → curl -o, then sha256sum` }),
        result(`fetch-e2e-${label}-s`, e2e / 1000, 's'),
        result('publish-to-visible-p50-ms', p50, 'ms', { target: '<= 50', note: `${count} × 1 KiB published one after another at A, until B's event stream says replicated; three fresh daemons` }),
        result('publish-to-visible-p99-ms', p99, 'ms', { target: '<= 250' }),
        result('cli-start-ms', Math.max(starts.version as number, starts.status as number, starts.ls as number), 'ms', { target: '<= 120', note: `the slowest of --version, status, ls; medians of ${START_RUNS}` }),
        result('cli-start-version-ms', starts.version as number, 'ms'),
        result('cli-start-status-ms', starts.status as number, 'ms'),
        result('cli-start-ls-ms', starts.ls as number, 'ms'),
        result('node-start-ms', node0, 'ms', { note: 'node -e 0, the floor' }),
        result(`fetch-local-${label}-ratio`, fetched / cp, '× cp', { note: `${sizeText}; the default: kernel copy, the CLI's sha-256 of the copy and fsync, against a plain cp (no hash, no fsync): the hash alone takes longer than cp, so this stays above 1.2; medians of ${COPY_RUNS}` }),
        result(`fetch-local-${label}-link-ratio`, linkedMs / cp, '× cp', { target: '<= 1.2', note: `${sizeText}; fetch --link: a hard link to the daemon's verified copy (no byte copied), against a plain cp; medians of ${COPY_RUNS}` }),
        result(`fetch-local-${label}-sync-ratio`, fetched / cpSync, '× (cp+sync)', { note: 'the same against a cp made as durable (the fetch fsyncs its file)' }),
        result(`fetch-local-${label}-s`, fetched / 1000, 's'),
        result(`publish-e2e-${label}-ratio`, pub / plain, '× (cp+sync+sha256sum)', { target: '<= 1.5', note: `${sizeText}, staged in the data dir by a kernel copy (publish on the daemon's machine); medians of ${COPY_RUNS}` }),
        result(`publish-e2e-${label}-s`, pub / 1000, 's')
      ]
    } finally {
      await node.destroy()
    }
  }
}
