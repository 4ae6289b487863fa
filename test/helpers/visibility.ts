// Shared by the visibility tests: a long-running CLI process (watch) whose
// output can be awaited, and a tiny local HTTP receiver for webhooks.
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type Server } from 'node:http'
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
