// `node dist/tools/bench/oci.js [--size 1G] [--backend daemon|memory] [--json]`: skopeo copy of a
// generated image with one large layer, pushed to and pulled from the mycel
// registry and the CNCF distribution registry (Debian's docker-registry,
// filesystem storage in a temp dir), on this machine in the same run, one after
// the other. The mycel registry is a real daemon's (`mycel daemon --registry`:
// uploads hashed into its blob store, tags written as signed events, durable
// before they answer) by default; `--backend memory` measures the registry layer
// alone over its in-process backend (HTTP, upload sessions, writes, reads). Reports seconds for each and the ratios `oci-push-1gib` and
// `oci-pull-1gib` (mycel / distribution; the issue's target is ≤ 1.5). The
// names keep "1gib" whatever --size is; the note says the size.
//
// Each run starts both registries afresh (empty storage: skopeo finds nothing
// to skip), runs twice by default with the order alternating, and the faster
// run counts: the machine is shared, and the first pass warms the page cache.

import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { freePort } from './free-port.js'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createHash, randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { createGzip } from 'node:zlib'
import { createMemoryBackend } from '../../daemon/registry/memory-backend.js'
import { createRegistryServer } from '../../daemon/registry/server.js'
import { ensureTool } from '../../test/helpers/ensure-tool.js'
import { cli, Node } from '../../test/helpers/daemons.js'

const USER = 'bench'
const SECRET = 'bench-secret'
const say = (line: string): void => { process.stderr.write(`${line}\n`) }

interface Options { sizeBytes: number, json: boolean, runs: number, backend: 'daemon' | 'memory' }

function options (): Options {
  const { values } = parseArgs({ options: { size: { type: 'string', default: '1G' }, json: { type: 'boolean', default: false }, runs: { type: 'string', default: '2' }, backend: { type: 'string', default: 'daemon' } }, strict: true })
  if (values.backend !== 'daemon' && values.backend !== 'memory') throw new Error(`--backend: daemon or memory, not ${String(values.backend)}`)
  const m = /^(\d+)([KMG]?)$/i.exec(values.size ?? '1G')
  if (m === null) throw new Error(`--size: expected a number with K, M or G (powers of 1024), not ${values.size}`)
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G']
  return { sizeBytes: Number(m[1]) * unit, json: values.json ?? false, runs: Math.max(1, Number(values.runs)), backend: values.backend }
}

/** An OCI layout with one gzip layer (stored, level 0: cheap to make, and skopeo copies it as it is) of about `size` random bytes. */
async function makeLayout (dir: string, size: number): Promise<void> {
  const blobs = join(dir, 'blobs', 'sha256')
  await mkdir(blobs, { recursive: true })
  const tmp = join(dir, 'layer.tmp')
  const hash = createHash('sha256')
  let layerSize = 0
  const chunks = Readable.from((function * () {
    for (let left = size; left > 0; left -= 1024 * 1024) yield randomBytes(Math.min(left, 1024 * 1024))
  })())
  const gzip = createGzip({ level: 0 })
  gzip.on('data', (b: Buffer) => { hash.update(b); layerSize += b.byteLength })
  await pipeline(chunks, gzip, createWriteStream(tmp))
  const layerDigest = 'sha256:' + hash.digest('hex')
  await rename(tmp, join(blobs, layerDigest.slice(7)))
  const put = async (bytes: Buffer): Promise<{ digest: string, size: number }> => {
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex')
    await writeFile(join(blobs, digest.slice(7)), bytes)
    return { digest, size: bytes.byteLength }
  }
  const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [layerDigest] } })))
  const manifest = await put(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layerSize }]
  })))
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  await writeFile(join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }]
  }))
}


/** Debian's distribution registry on 127.0.0.1:port, storage in `dir`; resolves once /v2/ answers. */
async function startDistribution (dir: string, port: number): Promise<ChildProcess> {
  const bin = ensureTool('docker-registry', 'docker-registry')
  await mkdir(join(dir, 'storage'), { recursive: true })
  const config = join(dir, 'config.yml')
  await writeFile(config, [
    'version: 0.1',
    'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', `  filesystem:`, `    rootdirectory: ${join(dir, 'storage')}`, '  delete:', '    enabled: true',
    'http:', `  addr: 127.0.0.1:${port}`
  ].join('\n') + '\n')
  const child = spawn(bin, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/v2/`)).ok) return child
    } catch {}
    if (child.exitCode !== null) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  child.kill()
  throw new Error(`docker-registry did not start: ${stderr.slice(-2000)}`)
}

async function skopeo (args: string[], home: string): Promise<number> {
  const bin = ensureTool('skopeo', 'skopeo')
  const started = performance.now()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(bin, ['--insecure-policy', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: home, REGISTRY_AUTH_FILE: join(home, 'auth.json') } })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('error', reject)
    child.on('exit', code => { code === 0 ? resolve() : reject(new Error(`skopeo ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`)) })
  })
  return (performance.now() - started) / 1000
}

interface Target { name: 'mycel' | 'distribution', host: string, creds?: string, stop: () => Promise<void> }

/** A fresh registry with empty storage under `dir`: every run pushes into nothing, as a first push does. */
async function startTarget (name: Target['name'], dir: string, backend: Options['backend']): Promise<Target> {
  if (name === 'mycel' && backend === 'daemon') {
    const node = await Node.create({ registryGcGraceMs: 3_600_000 })
    await node.start(['--registry', '127.0.0.1:0'])
    const login = await cli(['registry', 'login-token', USER, '--role', 'admin', '--dir', node.dir])
    if (login.code !== 0) throw new Error(`mycel registry login-token: ${login.stderr}`)
    const url = (node.ready as unknown as { registry: string }).registry
    return { name, host: url.replace('http://', ''), creds: login.stdout.trim(), stop: async () => { await node.destroy() } }
  }
  if (name === 'distribution') {
    const port = await freePort()
    const child = await startDistribution(dir, port)
    return { name, host: `127.0.0.1:${port}`, stop: async () => { child.kill(); await new Promise(resolve => child.once('exit', resolve)) } }
  }
  const server = createRegistryServer({
    backend: await createMemoryBackend({ dir, users: [{ user: USER, secret: SECRET, role: 'admin' }] }),
    log: () => {},
    gc: false
  })
  await server.start({ host: '127.0.0.1', port: 0 })
  return { name, host: server.url.replace('http://', ''), creds: `${USER}:${SECRET}`, stop: async () => { await server.stop() } }
}

async function main (): Promise<void> {
  const opts = options()
  const work = await mkdtemp(join(tmpdir(), 'mycel-oci-bench-'))
  try {
    say(`oci bench: generating an image with a ${opts.sizeBytes} byte layer`)
    const layout = join(work, 'layout')
    await makeLayout(layout, opts.sizeBytes)
    const best = { mycel: { push: Infinity, pull: Infinity }, distribution: { push: Infinity, pull: Infinity } }
    const home = join(work, 'home')
    for (let run = 0; run < opts.runs; run++) {
      const order: Array<Target['name']> = run % 2 === 0 ? ['mycel', 'distribution'] : ['distribution', 'mycel']
      for (const name of order) {
        const dir = join(work, `${name}-${run}`)
        const t = await startTarget(name, dir, opts.backend)
        try {
          const ref = `docker://${t.host}/bench/image:v1`
          const push = await skopeo(['copy', '--dest-tls-verify=false', ...(t.creds === undefined ? [] : ['--dest-creds', t.creds]), `oci:${layout}:bench`, ref], home)
          const out = join(work, `pull-${name}-${run}`)
          const pull = await skopeo(['copy', '--src-tls-verify=false', ...(t.creds === undefined ? [] : ['--src-creds', t.creds]), ref, `oci:${out}:bench`], home)
          await rm(out, { recursive: true, force: true })
          say(`  run ${run + 1} ${name}: push ${push.toFixed(2)} s, pull ${pull.toFixed(2)} s`)
          best[name].push = Math.min(best[name].push, push)
          best[name].pull = Math.min(best[name].pull, pull)
        } finally {
          await t.stop()
          await rm(dir, { recursive: true, force: true })
        }
      }
    }
    const note = `skopeo copy, one layer of ${opts.sizeBytes} bytes, best of ${opts.runs}; mycel registry ${opts.backend === 'daemon' ? 'of a real daemon (mycel daemon --registry)' : 'over the in-process backend'}`
    const results = [
      { name: 'oci-push-1gib', value: round(best.mycel.push / best.distribution.push), unit: '× distribution', target: '<= 1.5', note },
      { name: 'oci-pull-1gib', value: round(best.mycel.pull / best.distribution.pull), unit: '× distribution', target: '<= 1.5', note },
      { name: 'oci-push-mycel-s', value: round(best.mycel.push), unit: 's' },
      { name: 'oci-push-distribution-s', value: round(best.distribution.push), unit: 's' },
      { name: 'oci-pull-mycel-s', value: round(best.mycel.pull), unit: 's' },
      { name: 'oci-pull-distribution-s', value: round(best.distribution.pull), unit: 's' }
    ]
    if (opts.json) process.stdout.write(JSON.stringify({ results }) + '\n')
    else for (const r of results) process.stdout.write(`${r.name.padEnd(26)} ${String(r.value).padStart(8)} ${r.unit}${r.target === undefined ? '' : `  (target ${r.target})`}\n`)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function round (x: number): number {
  return Math.round(x * 100) / 100
}

main().catch(err => {
  process.stderr.write(`oci bench: ${(err as Error).message}\n`)
  process.exit(1)
})
