// The real npm CLI, run as a child process against a site's npm registry:
// each project dir gets its own .npmrc (registry and token) and each call a
// cache dir of its own, so nothing is shared between calls but what the
// registry serves. npm is the one that ships with Node (found on PATH).
import { spawn } from 'node:child_process'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { tarGz } from './tar-gz.js'

export interface NpmRun { code: number | null, stdout: string, stderr: string }

/** Runs `npm ARGS` in `cwd`, with that dir's .npmrc as the user config and a fresh cache. */
export async function npm (cwd: string, args: string[]): Promise<NpmRun> {
  const cache = await mkdtemp(join(tmpdir(), 'mycel-npm-cache-'))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    npm_config_userconfig: join(cwd, '.npmrc'),
    npm_config_cache: cache,
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    npm_config_fund: 'false'
  }
  const proc = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>((resolve, reject) => {
    proc.once('error', err => { reject(new Error(`cannot run npm (it ships with Node; is it on PATH?): ${err.message}`)) })
    proc.once('exit', resolve)
  })
  return { code, stdout, stderr }
}

/** As npm, but fails the test with npm's output unless it exits 0. */
export async function npmOk (cwd: string, args: string[]): Promise<string> {
  const r = await npm(cwd, args)
  if (r.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${String(r.code)}:\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`)
  return r.stdout
}

/** The .npmrc a project uses to reach `registry` (http://host:port) with `token` (USER:SECRET). */
export function npmrc (registry: string, token: string): string {
  return `registry=${registry}/\n${registry.replace(/^http:/, '')}/:_authToken=${token}\n`
}

/** A package dir: package.json, index.js exporting `says`, and an .npmrc. */
export async function packageDir (root: string, manifest: Record<string, unknown>, says: string, rc: string): Promise<string> {
  const dir = join(root, `${String(manifest.name).replace('/', '+')}-${String(manifest.version)}-${Math.random().toString(36).slice(2, 8)}`)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2))
  await writeFile(join(dir, 'index.js'), `module.exports = ${JSON.stringify(says)}\n`)
  await writeFile(join(dir, '.npmrc'), rc)
  return dir
}

/** An empty project dir with an .npmrc, to install into. */
export async function projectDir (root: string, name: string, rc: string): Promise<string> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  await writeFile(join(dir, '.npmrc'), rc)
  return dir
}

/** A tarball npm would accept (package/package.json, varied by `extra`), and its hashes, for publish bodies built by hand. */
export function tarballOf (manifest: Record<string, unknown>, extra = ''): { bytes: Buffer, shasum: string, integrity: string } {
  const bytes = tarGz([{ path: 'package/package.json', content: Buffer.from(JSON.stringify({ ...manifest, extra })) }])
  return { bytes, shasum: createHash('sha1').update(bytes).digest('hex'), integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` }
}

/** The body `npm publish` sends for one version. */
export function publishBody (manifest: { name: string, version: string } & Record<string, unknown>, tarball: { bytes: Buffer, shasum: string, integrity: string }, tag = 'latest'): Record<string, unknown> {
  const file = `${manifest.name}-${manifest.version}.tgz`
  return {
    _id: manifest.name,
    name: manifest.name,
    'dist-tags': { [tag]: manifest.version },
    versions: { [manifest.version]: { ...manifest, _id: `${manifest.name}@${manifest.version}`, dist: { shasum: tarball.shasum, integrity: tarball.integrity, tarball: `http://x/${manifest.name}/-/${file}` } } },
    _attachments: { [file]: { content_type: 'application/octet-stream', data: tarball.bytes.toString('base64'), length: tarball.bytes.byteLength } }
  }
}
