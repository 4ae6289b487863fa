// The npm registry's HTTP server: `new NpmServer({ backend, log })` serves
// the registry API the npm CLI uses (routes.ts) over the same port the
// container registry uses (registry/backend.ts): keys for metadata, blobs for
// tarballs. One request: parse the path, pick the handler by method, and turn
// whatever it throws into npm's JSON error in one place. Auth takes npm's
// `Authorization: Bearer USER:SECRET` (an `_authToken` in .npmrc) or HTTP Basic.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { answerAfterBody, clientGone, closeHttp, listenHttp } from '../http-server.js'
import { isMycelError } from '../../protocol/errors.js'
import { Auth, parseBasic, unauthorized } from '../registry/auth.js'
import type { RegistryBackend, Role } from '../registry/backend.js'
import type { RegistryLog } from '../registry/context.js'
import { isRegistryError } from '../registry/errors.js'
import { DEFAULT_MAX_PUBLISH_BYTES, MAX_CONCURRENT_PUBLISHES, MAX_CONNECTIONS, MAX_METADATA_BODY_BYTES } from './constants.js'
import { isNpmError, NpmError } from './errors.js'
import { parseNpmPath } from './paths.js'
import { handlersOf, sendJson, type NpmContext } from './routes.js'

export interface NpmServerInit {
  backend: RegistryBackend
  log: RegistryLog
  /** Role of requests without a token. Default none: every request but ping needs one. */
  anonymous?: Role
  /** Largest publish body. Default DEFAULT_MAX_PUBLISH_BYTES (64 MiB). */
  maxPublishBytes?: number
  /** Wall clock. Default Date.now. */
  now?: () => number
}

export class NpmServer {
  private readonly ctx: NpmContext
  private readonly log: RegistryLog
  private server: Server | undefined
  private urlText = ''
  private readonly locks = new Map<string, Promise<unknown>>()
  private publishing = 0
  private readonly waiting: Array<() => void> = []

  constructor (init: NpmServerInit) {
    const now = init.now ?? Date.now
    const auth = new Auth({ ...(init.anonymous === undefined ? {} : { anonymous: init.anonymous }) }, { roleOf: c => init.backend.roleOf(c), now, parse: parseToken })
    this.log = init.log
    this.ctx = {
      backend: init.backend,
      auth,
      maxPublishBytes: init.maxPublishBytes ?? DEFAULT_MAX_PUBLISH_BYTES,
      now,
      serialize: async (name, work) => await this.serialize(name, work),
      publishSlot: async work => await this.publishSlot(work)
    }
  }

  /** `http://host:port` once listening. */
  get url (): string { return this.urlText }

  async start (address: { host: string, port: number }): Promise<void> {
    if (this.server !== undefined) return
    const server = createServer((req, res) => { this.handle(req, res) })
    server.maxConnections = MAX_CONNECTIONS
    server.headersTimeout = 30_000
    server.requestTimeout = 10 * 60_000
    this.urlText = await listenHttp(server, address.host, address.port)
    this.server = server
    this.log('info', 'npm registry listening', { url: this.urlText })
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    await closeHttp(server)
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    this.dispatch(req, res).catch(err => { this.fail(req, res, err) })
  }

  private async dispatch (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const path = q < 0 ? raw : raw.slice(0, q)
    const route = parseNpmPath(path)
    if (route === undefined) throw NpmError.notFound(`no such endpoint: ${path.slice(0, 200)}`)
    const url = new URL(raw, 'http://npm.invalid')
    const host = req.headers.host
    // Tarball URLs name the site as the client reached it.
    const base = host !== undefined && /^[A-Za-z0-9.:[\]-]{1,300}$/.test(host) ? `http://${host}` : this.urlText
    const handler = handlersOf(this.ctx, { req, res, url, base }, route)[req.method ?? 'GET']
    if (handler === undefined) throw new NpmError(405, `${req.method ?? '?'} is not supported on ${path.slice(0, 200)}`)
    await handler()
  }

  private fail (req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const e = toNpmError(err)
    if (clientGone(req, res)) {
      this.log('debug', 'npm client went away', { method: req.method, url: req.url?.slice(0, 300), err })
      res.destroy()
      return
    }
    if (e.status >= 500) this.log('error', 'npm request failed', { method: req.method, url: req.url?.slice(0, 300), err })
    else this.log('debug', 'npm request refused', { method: req.method, url: req.url?.slice(0, 300), status: e.status, message: e.message })
    // A body we did not read (a refused publish) is read first when small, so npm gets the answer, not a reset.
    answerAfterBody(req, res, MAX_METADATA_BODY_BYTES, close => { sendJson(res, e.status, { error: e.message }, { ...e.headers, ...(close ? { connection: 'close' } : {}) }) })
  }

  private async serialize<T> (name: string, work: () => Promise<T>): Promise<T> {
    const before = this.locks.get(name) ?? Promise.resolve()
    const run = before.then(work, work)
    const settled = run.then(() => {}, () => {})
    this.locks.set(name, settled)
    try {
      return await run
    } finally {
      if (this.locks.get(name) === settled) this.locks.delete(name)
    }
  }

  private async publishSlot<T> (work: () => Promise<T>): Promise<T> {
    while (this.publishing >= MAX_CONCURRENT_PUBLISHES) await new Promise<void>(resolve => { this.waiting.push(resolve) })
    this.publishing++
    try {
      return await work()
    } finally {
      this.publishing--
      this.waiting.shift()?.()
    }
  }
}

/** npm's `Bearer <token>`, where this registry's token is USER:SECRET; or HTTP Basic. */
export function parseToken (header: string | undefined): { user: string, secret: string } | undefined {
  if (header === undefined) return undefined
  const m = /^Bearer\s+(\S{1,4096})\s*$/i.exec(header)
  if (m === null) return parseBasic(header)
  const token = m[1] as string
  const colon = token.indexOf(':')
  if (colon <= 0) throw unauthorized('a token for this registry is USER:SECRET (mycel registry login-token)')
  return { user: token.slice(0, colon), secret: token.slice(colon + 1) }
}

/** What a handler threw, as an npm error: auth's and the port's errors by status and code, anything else 500. */
export function toNpmError (err: unknown): NpmError {
  if (isNpmError(err)) return err
  if (isRegistryError(err)) return new NpmError(err.status, err.message, { headers: err.headers, cause: err })
  if (isMycelError(err)) {
    switch (err.code) {
      case 'NOT_FOUND': return NpmError.notFound(err.message)
      case 'UNAVAILABLE':
      case 'TIMEOUT': return NpmError.unavailable(`the tarball could not be had from any site holding it: ${err.message}`)
      case 'TOO_LARGE': return NpmError.tooLarge(err.message)
      case 'PERMISSION_DENIED': return NpmError.forbidden(`this site cannot do that: ${err.message}`)
      case 'CONFLICT': return new NpmError(409, err.message, { cause: err })
      default: break
    }
  }
  return new NpmError(500, 'internal error (see the daemon log)', { cause: err })
}
