// 8. `npm install` from the npm registry a site serves: a project depending on 100 small packages
// (tools/bench/npm-packages.ts), each published at another site, installed with a cold npm cache,
// against Verdaccio (tools/bench/verdaccio.ts) serving the same packages on this machine in the same run:
//   npm-install-100-pkgs            mycel seconds ÷ Verdaccio seconds (the issue's target: ≤ 1.5)
//   npm-install-100-pkgs-mycel-s    the whole `npm install`, spawn to exit, from site B (tools/bench/mycel-npm.ts)
//   npm-install-100-pkgs-verdaccio-s
// Every run starts each registry afresh and publishes the packages to it (setup, not measured); for
// mycel they are published at site A and installed from site B once B serves all of them. Two runs
// with the order alternating and the faster counts, as in oci.ts: the machine is shared. Quick: one run.
//
// Alone: `node dist/tools/bench/npm-install.js [--json] [--quick]` (from the repo root, after a build).

import { spawn, spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { mycelServesNpm, startNpmSites, type NpmEndpoint } from './mycel-npm.js'
import { benchPackages, missingFrom, publishAll, type BenchPackage } from './npm-packages.js'
import { result, skipped, type BenchResult, type Benchmark } from './result.js'
import { startVerdaccio } from './verdaccio.js'

const PACKAGES = 100
const RUNS = 2
/** How long a registry may take to serve every package once published (B: until A's events reach it). */
const SERVED_TIMEOUT_MS = 120_000
const SERVED_POLL_MS = 200
const NAMES = ['npm-install-100-pkgs', 'npm-install-100-pkgs-mycel-s', 'npm-install-100-pkgs-verdaccio-s']

type RegistryName = 'mycel' | 'verdaccio'
interface Registry extends NpmEndpoint { stop: () => Promise<void> }

/** A fresh registry serving every package: published (at A, for mycel), then seen served where npm will install from. */
async function prepare (name: RegistryName, dir: string, pkgs: BenchPackage[], say: (line: string) => void): Promise<Registry> {
  const r = name === 'verdaccio' ? await startVerdaccio(dir, say) : await startNpmSites()
  try {
    const [at, from] = 'publish' in r ? [r.publish, r.install] : [r, r]
    await publishAll(at.url, at.token, pkgs)
    await servedBy(from, pkgs)
    return { url: from.url, token: from.token, stop: r.stop }
  } catch (err) {
    await r.stop()
    throw err
  }
}

async function servedBy (r: NpmEndpoint, pkgs: BenchPackage[]): Promise<void> {
  const deadline = Date.now() + SERVED_TIMEOUT_MS
  let left = await missingFrom(r.url, r.token, pkgs)
  while (left.length > 0) {
    if (Date.now() > deadline) throw new Error(`${r.url} serves ${pkgs.length - left.length} of ${pkgs.length} packages after ${SERVED_TIMEOUT_MS} ms; not ${left.slice(0, 5).map(p => p.name).join(', ')}…`)
    await new Promise(resolve => setTimeout(resolve, SERVED_POLL_MS))
    left = await missingFrom(r.url, r.token, left)
  }
}

/** Seconds of one `npm install` (spawn to exit) of a fresh project depending on every package, with an empty cache; then checks what it installed. */
async function timedInstall (r: NpmEndpoint, pkgs: BenchPackage[], dir: string): Promise<number> {
  const project = join(dir, 'project')
  await mkdir(project, { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'npm-install-bench', version: '1.0.0', private: true, dependencies: Object.fromEntries(pkgs.map(p => [p.name, p.version])) }, null, 2) + '\n')
  const { host, pathname } = new URL(r.url)
  await writeFile(join(project, '.npmrc'), `registry=${r.url}\n//${host}${pathname}:_authToken=${r.token}\nupdate-notifier=false\n`)
  // Neither the user's ~/.npmrc nor a calling `npm run`'s npm_config_* variables: the project's .npmrc alone.
  const userconfig = join(dir, 'user-npmrc')
  await writeFile(userconfig, '')
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)))
  const args = ['install', '--cache', join(dir, 'cache'), '--no-audit', '--no-fund', '--prefer-online', '--ignore-scripts']
  const t = performance.now()
  const proc = spawn('npm', args, { cwd: project, stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, npm_config_userconfig: userconfig } })
  let stderr = ''
  proc.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000) })
  const code = await new Promise<number | null>((resolve, reject) => { proc.once('error', reject); proc.once('exit', resolve) })
  const seconds = (performance.now() - t) / 1000
  if (code !== 0) throw new Error(`npm ${args.join(' ')} against ${r.url} exited ${String(code)}: ${stderr}`)
  await checkInstalled(project, pkgs)
  return seconds
}

/** Every package in node_modules at its version, and in package-lock.json with the published integrity. */
async function checkInstalled (project: string, pkgs: BenchPackage[]): Promise<void> {
  const lock = JSON.parse(await readFile(join(project, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string, integrity?: string }> }
  for (const p of pkgs) {
    const entry = lock.packages?.[`node_modules/${p.name}`]
    if (entry?.version !== p.version || entry.integrity !== p.integrity) throw new Error(`package-lock.json has ${p.name} as ${JSON.stringify(entry)}; published ${p.version} with ${p.integrity}`)
    const installed = JSON.parse(await readFile(join(project, 'node_modules', p.name, 'package.json'), 'utf8')) as { version?: string }
    if (installed.version !== p.version) throw new Error(`node_modules/${p.name} is at ${String(installed.version)}, not ${p.version}`)
  }
}

export const npmInstallBench: Benchmark = {
  id: 'npm',
  title: `npm install of ${PACKAGES} small packages published at another site, against Verdaccio`,
  names: NAMES,
  async run (ctx) {
    const runs = ctx.quick ? 1 : RUNS
    const pkgs = benchPackages(PACKAGES)
    const withMycel = await mycelServesNpm()
    if (!withMycel) ctx.say('this build\'s daemon has no --npm: Verdaccio alone')
    const names: RegistryName[] = withMycel ? ['mycel', 'verdaccio'] : ['verdaccio']
    const best: Record<RegistryName, number> = { mycel: Infinity, verdaccio: Infinity }
    const work = await mkdtemp(join(tmpdir(), 'mycel-npm-bench-'))
    try {
      for (let run = 0; run < runs; run++) {
        for (const name of run % 2 === 0 ? names : [...names].reverse()) {
          const dir = join(work, `${name}-${run}`)
          const registry = await prepare(name, dir, pkgs, ctx.say)
          let seconds: number
          try {
            seconds = await timedInstall(registry, pkgs, join(dir, 'install'))
          } finally {
            await registry.stop()
          }
          ctx.say(`run ${run + 1} ${name}: npm install ${seconds.toFixed(2)} s`)
          best[name] = Math.min(best[name], seconds)
          await rm(dir, { recursive: true, force: true })
        }
      }
    } finally {
      await rm(work, { recursive: true, force: true })
    }
    const kib = pkgs.reduce((sum, p) => sum + p.tarball.byteLength, 0) / 1024
    const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()
    const note = `${PACKAGES} packages (${pkgs.filter(p => p.name.startsWith('@')).length} scoped, ${kib.toFixed(0)} KiB of tarballs), npm ${npm} install with an empty cache, --prefer-online; best of ${runs}; mycel: published at site A, installed from site B (on-demand)`
    const verdaccio = result('npm-install-100-pkgs-verdaccio-s', best.verdaccio, 's')
    if (!withMycel) return [...skipped(NAMES.slice(0, 2), 'mycel daemon has no --npm in this build'), { ...verdaccio, note }]
    return [
      result('npm-install-100-pkgs', best.mycel / best.verdaccio, '× verdaccio', { target: '<= 1.5', note }),
      result('npm-install-100-pkgs-mycel-s', best.mycel, 's'),
      verdaccio
    ]
  }
}

function printResults (results: BenchResult[], json: boolean): void {
  if (json) { process.stdout.write(JSON.stringify({ results }) + '\n'); return }
  for (const r of results) {
    const value = r.value === null ? `skipped: ${r.skipped ?? ''}` : `${r.value} ${r.unit}`
    process.stdout.write(`${r.name.padEnd(34)} ${value}${r.target === undefined ? '' : `  (target ${r.target})`}\n`)
  }
}

if (process.argv[1]?.endsWith('npm-install.js') === true) {
  const { values } = parseArgs({ options: { json: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } }, strict: true })
  try {
    printResults(await npmInstallBench.run({ quick: values.quick, say: line => { process.stderr.write(`${line}\n`) } }), values.json)
  } catch (err) {
    process.stderr.write(`npm bench: ${(err as Error).stack ?? String(err)}\n`)
    process.exitCode = 1
  }
}
