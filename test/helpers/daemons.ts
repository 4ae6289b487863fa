// Real daemons for integration tests: `node dist/cli/main.js daemon` processes
// on 127.0.0.1 in temp dirs (build first: `npm test` does). Readiness is the
// daemon's own "ready" line on stdout; every wait polls a condition against a
// deadline, never a fixed sleep.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const MAIN = resolve('dist/cli/main.js')


export interface Ready { peerId: string, federation: string, listen: string[], api: string, dir: string }

/** Bounded tail of a process's stderr, for failure messages. */
const LOG_TAIL_CHARS = 20_000

export class Node {
  readonly dir: string
  proc: ChildProcess | undefined
  ready: Ready | undefined
  /** Listen multiaddr passed as --listen; a fixed port lets a restarted node be found where it was. */
  listen = '/ip4/127.0.0.1/tcp/0'
  /** Extra environment for the daemon process (e.g. the chaos harness's link-fault file). */
  env: NodeJS.ProcessEnv = {}
  /** A command the daemon runs under, e.g. `ip netns exec NS` for a site in its own network namespace. */
  wrap: string[] = []
  /** Written to the daemon's stdin at the next start, then closed (e.g. a token for `--join -`); default no stdin. */
  stdinText: string | undefined
  private logTail = ''
  private token = ''

  constructor (dir: string) { this.dir = dir }

  static async create (config: Record<string, unknown> = {}): Promise<Node> {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-it-'))
    await writeFile(join(dir, 'config.json'), JSON.stringify({ antiEntropyIntervalMs: 200, ...config }))
    return new Node(dir)
  }

  get log (): string { return this.logTail }

  async start (args: string[] = [], timeoutMs = 20_000, env: NodeJS.ProcessEnv = {}): Promise<Ready> {
    const [command, ...wrapArgs] = [...this.wrap, process.execPath]
    const proc = spawn(command, [...wrapArgs, ...nodeArgs({ ...process.env, ...this.env, ...env }), MAIN, 'daemon', '--dir', this.dir, '--listen', this.listen, '--json', ...args], { stdio: [this.stdinText === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...this.env, ...env } })
    if (this.stdinText !== undefined) proc.stdin?.end(this.stdinText)
    this.stdinText = undefined
    this.proc = proc
    proc.stderr?.on('data', (chunk: Buffer) => { this.logTail = (this.logTail + chunk.toString()).slice(-LOG_TAIL_CHARS) })
    this.ready = await new Promise<Ready>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => { reject(new Error(`daemon in ${this.dir} not ready in ${timeoutMs} ms\n${this.logTail}`)) }, timeoutMs)
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        const line = out.split('\n').find(l => l.includes('"ready":true'))
        if (line !== undefined) { clearTimeout(timer); resolve(JSON.parse(line) as Ready) }
      })
      proc.once('exit', code => { clearTimeout(timer); reject(new Error(`daemon exited with ${String(code)} before ready\n${this.logTail}`)) })
    })
    this.token = (await readFile(join(this.dir, 'api.token'), 'utf8')).trim()
    return this.ready
  }

  /** SIGKILL: no cleanup runs. */
  async kill (): Promise<void> {
    await this.signal('SIGKILL')
  }

  async stop (): Promise<number | null> {
    return await this.signal('SIGTERM')
  }

  private async signal (sig: NodeJS.Signals): Promise<number | null> {
    const proc = this.proc
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null
    const exited = new Promise<number | null>(resolve => proc.once('exit', code => { resolve(code) }))
    proc.kill(sig)
    const code = await exited
    this.proc = undefined
    return code
  }

  async destroy (): Promise<void> {
    await this.kill()
    await rm(this.dir, { recursive: true, force: true })
  }

  /** One API call over HTTP with the node's token. */
  async api<T = unknown> (method: string, path: string, body?: string): Promise<{ status: number, body: T }> {
    if (this.ready === undefined) throw new Error('node not started')
    const res = await fetch(`${this.ready.api}${path}`, { method, headers: { authorization: `Bearer ${this.token}` }, body })
    return { status: res.status, body: await res.json() as T }
  }

  async keys (): Promise<Array<{ key: string, digest: string, author: string }>> {
    return (await this.api<Array<{ key: string, digest: string, author: string }>>('GET', '/v1/keys')).body
  }

  async publish (key: string, content: string): Promise<{ status: number, body: { key: string, digest: string } }> {
    return await this.api('PUT', `/v1/keys/${encodeURIComponent(key)}`, content)
  }

  /** A signed invite token (defaults here: writer — the tests' members publish —, 24 h, one use; the API's default role is reader). */
  async invite (opts: { role?: string, ttlMs?: number, uses?: number } = {}): Promise<string> {
    const q = new URLSearchParams(Object.entries({ role: 'writer', ...opts }).map(([k, v]) => [k, String(v)])).toString()
    const res = await this.api<{ token?: string, error?: { message: string } }>('POST', `/v1/invite${q === '' ? '' : '?' + q}`)
    if (res.body.token === undefined) throw new Error(`invite failed: ${res.body.error?.message ?? res.status}`)
    return res.body.token
  }
}

/**
 * Extra node flags for spawned daemons from MYCEL_BENCH_NODE_ARGS (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them: NODE_OPTIONS refuses --cpu-prof.
 */
function nodeArgs (env: NodeJS.ProcessEnv): string[] {
  return (env.MYCEL_BENCH_NODE_ARGS ?? '').split(' ').filter(a => a !== '')
}

/** Runs the CLI once as a process; `spawned` gets the process (e.g. to signal it). */
export async function cli (args: string[], env: NodeJS.ProcessEnv = process.env, spawned?: (proc: ChildProcess) => void): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env })
  spawned?.(proc)
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (c: Buffer) => { stdout += c.toString() })
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString() })
  const code = await new Promise<number | null>(resolve => proc.once('exit', resolve))
  return { code, stdout, stderr }
}

/** Polls `check` until it returns true or the deadline passes. */
export async function until (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown
  while (Date.now() < deadline) {
    try {
      if (await check()) return
    } catch (err) {
      lastErr = err
    }
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr === undefined ? '' : `: ${String(lastErr)}`}`)
}

/** Sorted `key=digest@author` lines: equal iff the live winners are equal. */
export async function view (node: Node): Promise<string> {
  return (await node.keys()).map(e => `${e.key}=${e.digest}@${e.author}`).sort().join('\n')
}
