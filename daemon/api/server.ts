// The local HTTP API on 127.0.0.1. On start it makes sure `<dir>/api.token`
// exists (32 random bytes, hex, mode 0600, kept across restarts so scripts can
// keep it) and, once listening, writes `<dir>/api.json` = { url, pid }
// (temp file + rename, so a reader never sees half of it). The CLI finds both
// there. Every request but a public route's (the status page) needs
// `Authorization: Bearer <token>` (a 401 says so in `WWW-Authenticate`); the
// routes are one table (routes.ts; 404 and 405 in router.ts). A failing request
// answers a JSON error and never reaches beyond its own response.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, open, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { closeHttp } from '../http-server.js'
import type { Logger } from '../log.js'
import { MAX_API_CONNECTIONS } from '../limits.js'
import { clientErrorText, sendError, sendThrown } from './errors.js'
import { allowedMethods, findRoute, requestUrl, type Route } from './router.js'

export const TOKEN_FILE = 'api.token'
export const API_FILE = 'api.json'

export interface ApiServerInit {
  /** The data dir where api.token and api.json live. */
  dir: string
  /** Port on 127.0.0.1; 0 = any free port. */
  port: number
}

export interface ApiServerComponents {
  /** The route table (routes.ts localApiRoutes; tests pass a part of it). */
  routes: readonly Route[]
  log: Logger
}

export interface ApiFile { url: string, pid: number }

export class ApiServer {
  private readonly init: ApiServerInit
  private readonly components: ApiServerComponents
  private server: Server | undefined
  private token: Buffer | undefined
  private urlText = ''

  constructor (init: ApiServerInit, components: ApiServerComponents) {
    this.init = init
    this.components = components
  }

  get url (): string { return this.urlText }

  async start (): Promise<void> {
    this.token = Buffer.from(await loadOrCreateToken(this.init.dir), 'utf8')
    const server = createServer((req, res) => { this.handle(req, res) })
    // A request Node cannot parse still gets a JSON error (Node's own answer is plain text).
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) { socket.destroy(); return }
      const tooLarge = err.code === 'HPE_HEADER_OVERFLOW'
      socket.end(clientErrorText(tooLarge ? 431 : 400, tooLarge ? 'request headers too large' : `malformed HTTP request (${err.code ?? 'parse error'})`))
    })
    server.maxConnections = MAX_API_CONNECTIONS
    server.headersTimeout = 10_000
    server.requestTimeout = 0 // uploads of large blobs may take long; connections are bounded instead
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, '127.0.0.1', () => { server.off('error', reject); resolve() })
    })
    this.server = server
    const { port } = server.address() as AddressInfo
    this.urlText = `http://127.0.0.1:${port}`
    const file: ApiFile = { url: this.urlText, pid: process.pid }
    const tmp = join(this.init.dir, `${API_FILE}.tmp`)
    await writeFile(tmp, JSON.stringify(file) + '\n', { mode: 0o600 })
    await rename(tmp, join(this.init.dir, API_FILE))
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    await rm(join(this.init.dir, API_FILE), { force: true })
    await closeHttp(server)
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    const url = requestUrl(req)
    const method = req.method ?? 'GET'
    const found = findRoute(this.components.routes, method, url)
    if (found?.route.auth !== 'public' && !this.authorized(req)) {
      req.resume()
      sendError(res, 'PERMISSION_DENIED', 'missing or wrong API token (see <dir>/api.token)', 401, undefined, { 'www-authenticate': 'Bearer realm="mycel"' })
      return
    }
    if (found === undefined) {
      req.resume()
      const allow = allowedMethods(this.components.routes, url)
      if (allow.length > 0) sendError(res, 'USAGE', `method ${method} is not allowed on ${url.pathname}; allowed: ${allow.join(', ')}`, 405, undefined, { allow: allow.join(', ') })
      else sendError(res, 'NOT_FOUND', `no route ${method} ${url.pathname}`)
      return
    }
    const { route, match } = found
    Promise.resolve().then(async () => { await route.handle(req, res, match) }).catch(err => {
      this.components.log.debug('api request failed', { method: req.method, url: req.url, err })
      if (!req.complete) {
        // An upload refused midway (too large, disk full): answer, then close the
        // connection instead of reading the rest of a possibly huge body.
        res.setHeader('connection', 'close')
        req.resume()
      }
      sendThrown(res, err)
    })
  }

  private authorized (req: IncomingMessage): boolean {
    const header = req.headers.authorization
    if (typeof header !== 'string' || !header.startsWith('Bearer ') || this.token === undefined) return false
    const given = Buffer.from(header.slice('Bearer '.length).trim(), 'utf8')
    return given.length === this.token.length && timingSafeEqual(given, this.token)
  }
}

/** Reads `<dir>/api.token`, creating it (0600) on first start; tightens a looser mode. */
export async function loadOrCreateToken (dir: string): Promise<string> {
  const path = join(dir, TOKEN_FILE)
  try {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length >= 32) {
      await chmod(path, 0o600)
      return token
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('hex')
  await rm(path, { force: true })
  const file = await open(path, 'wx', 0o600)
  try {
    await file.writeFile(token + '\n')
    await file.sync()
  } finally {
    await file.close()
  }
  return token
}
