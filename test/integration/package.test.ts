// The package as a user gets it: `npm pack` → `npm install -g ./mycel-*.tgz` into a clean prefix →
// the installed `mycel daemon` serves its status page. The tarball holds the compiled code, the page,
// LICENSE and README, and no tests or source maps. `npm test` has built dist/ already, so pack runs
// with --ignore-scripts (its prepack would rebuild dist/ under the other integration tests' feet).
// Dependencies come from npm's cache when they are there (`npm ci` filled it), else from the registry.
import { execFile, spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const INSTALL_TIMEOUT_MS = 240_000

describe('npm pack → npm install -g → mycel daemon', () => {
  let work: string
  let tarball: string
  let prefix: string
  // The installed bin starts with `#!/usr/bin/env node`: find a supported node first, the one running this.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mycel-pack-'))
    prefix = join(work, 'prefix')
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { env, maxBuffer: 16 << 20 })
    tarball = join(work, (JSON.parse(stdout) as Array<{ filename: string }>)[0]?.filename as string)
  }, INSTALL_TIMEOUT_MS)
  afterAll(async () => { await rm(work, { recursive: true, force: true }) })

  it('the tarball holds the code, the status page and LICENSE; no tests, no source maps', async () => {
    const { stdout } = await run('tar', ['tzf', tarball], { maxBuffer: 16 << 20 })
    const files = stdout.split('\n').filter(f => f !== '').map(f => f.replace(/^package\//, ''))
    for (const f of ['package.json', 'LICENSE', 'README.md', 'daemon/ui/status.html', 'dist/cli/main.js', 'dist/daemon/daemon.js', 'dist/daemon/blob/chunk-worker.js']) expect(files).toContain(f)
    expect(files.filter(f => f.endsWith('.map'))).toEqual([])
    expect(files.filter(f => f.startsWith('dist/test/') || f.startsWith('dist/tools/') || /\.test\.js$/.test(f))).toEqual([])
    expect(files.filter(f => f.endsWith('.ts'))).toEqual([])
  })

  it('installs into a clean prefix; the installed mycel runs a daemon that serves its status page', async () => {
    await run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 << 20 })
    const bin = join(prefix, 'bin', 'mycel')
    expect((await run(bin, ['--version'], { env })).stdout.trim()).toBe(JSON.parse(await readFile('package.json', 'utf8')).version)
    // Only what runs is installed: no devDependencies came along.
    const installed = await readdir(join(prefix, 'lib', 'node_modules', 'mycel', 'node_modules'))
    for (const dev of ['vitest', 'typescript', 'playwright-core', 'fast-check', '@sparticuz']) expect(installed).not.toContain(dev)

    const dir = join(work, 'data')
    const daemon = spawn(bin, ['daemon', '--dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    daemon.stderr.on('data', (c: Buffer) => { log += c.toString() })
    try {
      const ready = await new Promise<{ api: string }>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => { reject(new Error(`not ready in 30 s\n${log}`)) }, 30_000)
        daemon.stdout.on('data', (c: Buffer) => {
          out += c.toString()
          const line = out.split('\n').find(l => l.includes('"ready":true'))
          if (line !== undefined) { clearTimeout(timer); resolve(JSON.parse(line) as { api: string }) }
        })
        daemon.once('exit', code => { clearTimeout(timer); reject(new Error(`exited with ${String(code)}\n${log}`)) })
      })
      const page = await fetch(`${ready.api}/`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      const html = await page.text()
      expect(html).toContain('<title>')
      expect(html).toContain('id="sites"')
    } finally {
      daemon.kill('SIGTERM')
      await new Promise(resolve => daemon.once('exit', resolve))
    }
  }, INSTALL_TIMEOUT_MS)
})
