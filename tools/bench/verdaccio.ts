// Verdaccio, the npm registry the npm benchmark compares mycel with. It is an
// npm package but never a dependency of mycel: installed from the npm registry
// once into node_modules/.cache/mycel-verdaccio-<major> (as tools/supported-node.mjs
// installs a Node) and reused by later runs. Each start is a fresh child process
// on 127.0.0.1 with its storage and htpasswd in a temp dir and no uplinks, so it
// serves only what was published to it and never goes to the internet.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { freePort } from './free-port.js'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const MAJOR = 6
const DIR = fileURLToPath(new URL(`../../../node_modules/.cache/mycel-verdaccio-${MAJOR}`, import.meta.url))
const BIN = join(DIR, 'node_modules', 'verdaccio', 'bin', 'verdaccio')
/** The benchmark's publisher, created through the npm login API to get a token. */
const USER = 'bench'
const PASSWORD = 'bench-password'
/** Verdaccio takes a few seconds to start on a loaded machine; far more means it is stuck. */
const START_TIMEOUT_MS = 60_000
const LOG_TAIL_CHARS = 4000

export interface Verdaccio {
  /** The registry URL, ending in /. */
  url: string
  /** An npm token of a user allowed to publish. */
  token: string
  stop: () => Promise<void>
}

/** The path of Verdaccio's bin script, installing verdaccio@MAJOR first if it is not there. */
export function ensureVerdaccio (say: (line: string) => void): string {
  if (existsSync(BIN)) return BIN
  say(`installing verdaccio@${MAJOR} from the npm registry into ${DIR} (once)`)
  const npm = spawnSync('npm', ['install', '--prefix', DIR, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--loglevel=error', `verdaccio@${MAJOR}`], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
  if (npm.status !== 0 || !existsSync(BIN)) throw new Error(`could not install verdaccio@${MAJOR} (npm exited with ${npm.status ?? npm.signal}): ${npm.stderr.slice(-2000)}`)
  return BIN
}

/** A fresh Verdaccio with its state under `dir`, answering /-/ping, with a publishing user logged in. */
export async function startVerdaccio (dir: string, say: (line: string) => void): Promise<Verdaccio> {
  const bin = ensureVerdaccio(say)
  await mkdir(join(dir, 'storage'), { recursive: true })
  const port = await freePort()
  const config = join(dir, 'config.yaml')
  await writeFile(config, configYaml(dir, port))
  const child = spawn(process.execPath, [bin, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const keep = (d: Buffer): void => { tail = (tail + d.toString()).slice(-LOG_TAIL_CHARS) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill()
    await exited
  }
  const url = `http://127.0.0.1:${port}/`
  try {
    await answering(url, child, () => tail)
    return { url, token: await login(url), stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Storage and users in `dir`; every package readable by all and publishable by a logged-in user; no uplinks. */
function configYaml (dir: string, port: number): string {
  return [
    `storage: ${JSON.stringify(join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
    '    max_users: 10',
    'uplinks: {}',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    `listen: 127.0.0.1:${port}`,
    'max_body_size: 100mb',
    // JWT API tokens: Verdaccio's default (legacy) token carries the password, and every request with it
    // runs a bcrypt check (~120 ms of CPU here), which would make it a straw man; a JWT is checked by an HMAC.
    'security:',
    '  api:',
    '    jwt:',
    '      sign:',
    '        expiresIn: 1d',
    'web:',
    '  enable: false',
    // Requests are not logged (mycel's bench daemons log at warn too): logging each would measure the logger.
    'log: { type: stdout, format: json, level: error }'
  ].join('\n') + '\n'
}

async function answering (url: string, child: ChildProcess, tail: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      if ((await fetch(new URL('-/ping', url))).ok) return
    } catch {}
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`verdaccio did not answer at ${url} (${child.exitCode === null ? `not in ${START_TIMEOUT_MS} ms` : `exited with ${child.exitCode}`}): ${tail()}`)
}

/** `npm adduser`'s request: creates the user and answers with its token. */
async function login (url: string): Promise<string> {
  const res = await fetch(new URL(`-/user/org.couchdb.user:${USER}`, url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ _id: `org.couchdb.user:${USER}`, name: USER, password: PASSWORD, type: 'user', roles: [], date: new Date().toISOString() })
  })
  const body = await res.json() as { token?: string }
  if (!res.ok || body.token === undefined) throw new Error(`verdaccio adduser: HTTP ${res.status} ${JSON.stringify(body)}`)
  return body.token
}
