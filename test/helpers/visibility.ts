// Shared by the visibility tests: a long-running CLI process (watch) whose
// output can be awaited, and tiny local HTTP receivers for webhooks: one that
// answers from a script, and one that can go down and come back on its port.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MAIN, until } from './daemons.js'

export class CliProcess {
  readonly proc: ChildProcess
  stdout = ''
  stderr = ''
  readonly exited: Promise<number | null>

  constructor (args: string[]) {
    this.proc = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc.stdout?.on('data', (c: Buffer) => { this.stdout += c.toString() })
    this.proc.stderr?.on('data', (c: Buffer) => { this.stderr += c.toString() })
    this.exited = new Promise(resolve => this.proc.once('exit', resolve))
  }

  lines<T = Record<string, unknown>> (): T[] {
    return this.stdout.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as T)
  }

  async waitStderr (text: string): Promise<void> {
    await until(`"${text}" on stderr`, () => this.stderr.includes(text) || this.proc.exitCode !== null)
    if (!this.stderr.includes(text)) throw new Error(`process exited before "${text}": ${this.stderr}`)
  }

  kill (): void { if (this.proc.exitCode === null) this.proc.kill('SIGKILL') }
}

export interface Received { path: string, body: unknown }

/** Answers each request with the next status from `statuses` (then 200); records every request. */
export async function receiver (statuses: number[] = []): Promise<{ url: string, received: Received[], server: Server }> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let text = ''
    req.on('data', (c: Buffer) => { text += c.toString() })
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(text) })
      res.writeHead(statuses.shift() ?? 200).end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server }
}

export interface Delivered { path: string, headers: IncomingHttpHeaders, raw: string, body: Record<string, unknown> }

/**
 * A webhook receiver that can be taken down (its port closed: a connection is refused) and brought
 * back on the same port, answering 200 to everything while up.
 */
export class HookReceiver {
  readonly received: Delivered[] = []
  private server: Server | undefined
  private portNumber = 0

  get url (): string { return `http://127.0.0.1:${this.portNumber}` }

  async up (): Promise<void> {
    const server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c: Buffer) => { raw += c.toString() })
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> })
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.portNumber, '127.0.0.1', () => { server.off('error', reject); resolve() })
    })
    this.portNumber = (server.address() as AddressInfo).port
    this.server = server
  }

  async down (): Promise<void> {
    const server = this.server
    this.server = undefined
    if (server === undefined) return
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }
}
