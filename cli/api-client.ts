// The CLI's side of the local API. It finds the daemon through the data dir:
// `<dir>/api.json` (its URL) and `<dir>/api.token` (the bearer token). No
// file, or a refused connection (a daemon that died without cleaning up), is
// one clear error with a hint, exit 1. Error answers carry a stable code that
// becomes the exit code in cli/run.ts.

import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { http } from './builtins.js'
import { join } from 'node:path'
import { ERROR_CODES, MycelError, type ErrorCode } from '../protocol/errors.js'

/** Slow answers are the daemon's trouble, not the CLI's: fail instead of hanging forever. */
const REQUEST_TIMEOUT_MS = 60_000
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024

const CODES: ReadonlySet<string> = new Set<string>(ERROR_CODES)

export interface RequestOptions {
  query?: Array<[string, string]>
  /** A file streamed as the request body. */
  uploadFile?: string
  /** A stream sent as the request body, chunked (its length is not known first): `publish - KEY`. */
  uploadStream?: NodeJS.ReadableStream
  /** Called as the upload is read: bytes so far, and the file's size (undefined for a stream). */
  onUpload?: (sent: number, total: number | undefined) => void
  /** A small text body (e.g. an invite token: kept out of the URL, so out of logs). */
  body?: string
}

export class ApiClient {
  readonly url: string
  readonly dir: string
  private readonly token: string

  private constructor (dir: string, url: string, token: string) {
    this.dir = dir
    this.url = url
    this.token = token
  }

  static async open (dir: string): Promise<ApiClient> {
    let url: string
    let token: string
    try {
      const file = JSON.parse(await readFile(join(dir, 'api.json'), 'utf8')) as { url: string, pid?: number }
      // A daemon killed with -9 leaves api.json behind: check its pid before trusting it.
      if (typeof file.pid === 'number' && !isAlive(file.pid)) throw notRunning(dir)
      url = file.url
      token = (await readFile(join(dir, 'api.token'), 'utf8')).trim()
    } catch (err) {
      if (err instanceof MycelError) throw err
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notRunning(dir)
      throw new MycelError('CLOSED', `cannot read the daemon's API files in ${dir}: ${(err as Error).message}`, { cause: err })
    }
    return new ApiClient(dir, url, token)
  }

  async call<T> (method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await this.exchange<T>(method, path, options)).body
  }

  /** `call`, with the answer's headers too (a page of GET /v1/keys names the next in one). */
  async exchange<T> (method: string, path: string, options: RequestOptions = {}): Promise<{ body: T, headers: IncomingHttpHeaders }> {
    const url = new URL(path, this.url)
    for (const [k, v] of options.query ?? []) url.searchParams.append(k, v)
    const headers: Record<string, string | number> = { authorization: `Bearer ${this.token}` }
    let uploadSize = 0
    if (options.uploadFile !== undefined) {
      uploadSize = (await statFile(options.uploadFile)).size
      headers['content-type'] = 'application/octet-stream'
      headers['content-length'] = uploadSize
    } else if (options.uploadStream !== undefined) {
      headers['content-type'] = 'application/octet-stream' // no content-length: Node sends it chunked
    } else if (options.body !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8'
      headers['content-length'] = Buffer.byteLength(options.body)
    }
    const { status, text, headers: answered } = await new Promise<{ status: number, text: string, headers: IncomingHttpHeaders }>((resolve, reject) => {
      const req = http().request(url, { method, headers, timeout: REQUEST_TIMEOUT_MS }, res => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_RESPONSE_BYTES) { req.destroy(MycelError.tooLarge('API response', size, MAX_RESPONSE_BYTES)); return }
          chunks.push(chunk)
        })
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers })
          req.destroy() // an upload the daemon refused midway need not be sent further
        })
        res.on('error', reject)
      })
      req.on('timeout', () => { req.destroy(new MycelError('TIMEOUT', `the daemon did not answer ${method} ${path} within ${REQUEST_TIMEOUT_MS} ms`)) })
      req.on('error', err => {
        const code = (err as NodeJS.ErrnoException).code
        if (code === 'ECONNREFUSED') reject(notRunning(this.dir, this.url))
        else reject(err)
      })
      if (options.body !== undefined) req.end(options.body)
      else if (options.uploadFile === undefined && options.uploadStream === undefined) req.end()
      else {
        const source: NodeJS.ReadableStream = options.uploadStream ?? createReadStream(options.uploadFile as string)
        const total = options.uploadStream === undefined ? uploadSize : undefined
        source.on('error', (err: Error) => req.destroy(err))
        const onUpload = options.onUpload
        if (onUpload !== undefined) {
          let sent = 0
          source.on('data', (chunk: Buffer) => { sent += chunk.length; onUpload(sent, total) })
        }
        source.pipe(req)
      }
    })
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new MycelError('INTERNAL', `the daemon answered ${status} with non-JSON: ${text.slice(0, 200)}`)
    }
    if (status >= 400) throw errorOf(status, body)
    return { body: body as T, headers: answered }
  }

  /**
   * A GET whose 200 answer is a byte stream (blob downloads): resolves with the
   * response to read; an error answer (JSON) is thrown as a MycelError with its
   * details (e.g. digest, holders). No timeout: the caller's --wait bounds it.
   */
  async download (path: string, query: Array<[string, string]> = []): Promise<IncomingMessage> {
    const url = new URL(path, this.url)
    for (const [k, v] of query) url.searchParams.append(k, v)
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = http().request(url, { method: 'GET', headers: { authorization: `Bearer ${this.token}` } }, resolve)
      req.on('error', err => {
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') reject(notRunning(this.dir, this.url))
        else reject(err)
      })
      req.end()
    })
    if (res.statusCode === 200) return res
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length
      if (size > MAX_ERROR_BYTES) break
      chunks.push(chunk)
    }
    let body: unknown
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      body = {}
    }
    throw errorOf(res.statusCode ?? 0, body)
  }
}

const MAX_ERROR_BYTES = 64 * 1024

/** An error answer `{ error: { code, message, ...details } }` → MycelError keeping the details. */
function errorOf (status: number, body: unknown): MycelError {
  const { code: c, message, ...details } = (body as { error?: { code?: string, message?: string } }).error ?? {}
  const code = (c !== undefined && CODES.has(c) ? c : 'INTERNAL') as ErrorCode
  return new MycelError(code, message ?? `the daemon answered ${status}`, Object.keys(details).length > 0 ? { details } : {})
}

async function statFile (path: string): Promise<{ size: number }> {
  try {
    const info = await stat(path)
    if (!info.isFile()) throw MycelError.usage(`${path} is not a regular file`)
    return info
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw MycelError.usage(`no such file: ${path}`)
    throw err
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' // alive, but another user's
  }
}

function notRunning (dir: string, url?: string): MycelError {
  const where = url === undefined ? '' : ` (nothing answers at ${url})`
  return new MycelError('CLOSED', `no mycel daemon is running for ${dir}${where}\nhint: start one with 'mycel daemon --dir ${dir}' (or 'npm start' for ~/.mycel)`)
}
