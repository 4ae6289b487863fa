// The registry's HTTP server: `createRegistryServer({ backend, log, ... })`
// gives a RegistryServer that listens on an address and serves the OCI
// Distribution API v1.1 (pull, push, content discovery and management) over
// the RegistryBackend port. One request: parse the path (paths.ts), pick the
// handler by route and method, and turn whatever it throws into the spec's
// JSON error, in one place. A failing request ends its own response and
// nothing else. The server owns the upload sessions (swept for idleness on a
// timer) and, unless told not to, the garbage pass.

import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { answerAfterBody, clientGone, closeHttp, listenHttp } from '../http-server.js'
import { isMycelError } from '../../protocol/errors.js'
import { Auth } from './auth.js'
import type { RegistryBackend, Role } from './backend.js'
import { getBlob, deleteBlob } from './blob-routes.js'
import {
  DEFAULT_GC_GRACE_MS, DEFAULT_GC_INTERVAL_MS, DEFAULT_MAX_BLOB_BYTES, DEFAULT_PAGE_SIZE, DEFAULT_MAX_UPLOAD_BYTES_TOTAL,
  DEFAULT_MAX_UPLOAD_SESSIONS, DEFAULT_UPLOAD_IDLE_MS, MAX_CONNECTIONS, MAX_SMALL_BODY_BYTES
} from './constants.js'
import type { RegistryLimits, RegistryLog, RouteContext, Request } from './context.js'
import { errorBody, isRegistryError, RegistryError } from './errors.js'
import { RegistryGc, type RegistryGcInit } from './gc.js'
import { COMMON_HEADERS, sendJson } from './http.js'
import { getCatalog, getReferrers, getTags } from './listing-routes.js'
import { deleteManifest, getManifest, putManifest } from './manifest-routes.js'
import { parsePath, type Route } from './paths.js'
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from './upload-routes.js'
import { UploadSessions } from './uploads.js'

export interface RegistryServerInit {
  backend: RegistryBackend
  log: RegistryLog
  /** Overrides of the defaults in constants.ts. */
  limits?: Partial<RegistryLimits>
  /** Role of requests without credentials. Default none: every request needs credentials. */
  anonymous?: Role
  /** The garbage pass, or false to run none here. Default { graceMs: 1 h, intervalMs: 5 min }. */
  gc?: Partial<RegistryGcInit> | false
  /** Wall clock. Default Date.now. */
  now?: () => number
  /** Upload session ids. Default crypto.randomUUID. */
  newId?: () => string
}

export interface ListenAddress { host: string, port: number }

type Handlers = Partial<Record<string, () => Promise<void> | void>>

/** The handlers of a route, by method. */
function handlersOf (ctx: RouteContext, r: Request, route: Route): Handlers {
  switch (route.kind) {
    case 'base': return { GET: () => { base(ctx, r) }, HEAD: () => { base(ctx, r) } }
    case 'catalog': return { GET: () => { getCatalog(ctx, r) } }
    case 'manifest': {
      const { name, reference } = route
      const get = async (): Promise<void> => { await getManifest(ctx, r, name, reference) }
      return { GET: get, HEAD: get, PUT: async () => { await putManifest(ctx, r, name, reference) }, DELETE: async () => { await deleteManifest(ctx, r, name, reference) } }
    }
    case 'blob': {
      const { name, digest } = route
      const get = async (): Promise<void> => { await getBlob(ctx, r, name, digest) }
      return { GET: get, HEAD: get, DELETE: async () => { await deleteBlob(ctx, r, name, digest) } }
    }
    case 'uploads': return { POST: async () => { await postUpload(ctx, r, route.name) } }
    case 'upload': {
      const { name, id } = route
      return {
        GET: async () => { await getUpload(ctx, r, name, id) },
        PATCH: async () => { await patchUpload(ctx, r, name, id) },
        PUT: async () => { await putUpload(ctx, r, name, id) },
        DELETE: async () => { await deleteUpload(ctx, r, name, id) }
      }
    }
    case 'tags': return { GET: () => { getTags(ctx, r, route.name) } }
    case 'referrers': return { GET: async () => { await getReferrers(ctx, r, route.name, route.digest) } }
  }
}

export function createRegistryServer (init: RegistryServerInit): RegistryServer {
  return new RegistryServer(init)
}

export class RegistryServer {
  readonly gc: RegistryGc | undefined
  private readonly ctx: RouteContext
  private server: Server | undefined
  private sweeper: NodeJS.Timeout | undefined
  private urlText = ''

  constructor (init: RegistryServerInit) {
    const now = init.now ?? Date.now
    const limits: RegistryLimits = {
      maxBlobBytes: DEFAULT_MAX_BLOB_BYTES,
      maxUploadSessions: DEFAULT_MAX_UPLOAD_SESSIONS,
      maxUploadBytesTotal: DEFAULT_MAX_UPLOAD_BYTES_TOTAL,
      uploadIdleMs: DEFAULT_UPLOAD_IDLE_MS,
      pageSize: DEFAULT_PAGE_SIZE,
      ...init.limits
    }
    const uploads = new UploadSessions(
      { maxSessions: limits.maxUploadSessions, maxBytesTotal: limits.maxUploadBytesTotal, maxBlobBytes: limits.maxBlobBytes, idleMs: limits.uploadIdleMs },
      { backend: init.backend, now, newId: init.newId ?? randomUUID }
    )
    const auth = new Auth({ ...(init.anonymous === undefined ? {} : { anonymous: init.anonymous }) }, { roleOf: c => init.backend.roleOf(c), now })
    this.ctx = { backend: init.backend, auth, uploads, limits, log: init.log, now }
    this.gc = init.gc === false
      ? undefined
      : new RegistryGc({ graceMs: DEFAULT_GC_GRACE_MS, intervalMs: DEFAULT_GC_INTERVAL_MS, ...init.gc }, { backend: init.backend, now, log: init.log })
  }

  /** `http://host:port` once listening. */
  get url (): string { return this.urlText }

  get uploads (): UploadSessions { return this.ctx.uploads }

  async start (address: ListenAddress): Promise<void> {
    if (this.server !== undefined) return
    const server = createServer((req, res) => { this.handle(req, res) })
    server.maxConnections = MAX_CONNECTIONS
    server.headersTimeout = 30_000
    server.requestTimeout = 0 // a layer of gigabytes may take long; connections are bounded instead
    this.urlText = await listenHttp(server, address.host, address.port)
    this.server = server
    this.sweeper = setInterval(() => {
      this.ctx.uploads.sweep().catch(err => { this.ctx.log('warn', 'upload sweep failed', { err }) })
    }, Math.max(1000, Math.min(60_000, this.ctx.limits.uploadIdleMs / 2)))
    this.sweeper.unref()
    this.gc?.start()
    this.ctx.log('info', 'registry listening', { url: this.urlText })
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    clearInterval(this.sweeper)
    await this.gc?.stop()
    await closeHttp(server)
    await this.ctx.uploads.close()
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    this.dispatch(req, res).catch(err => { this.fail(req, res, err) })
  }

  private async dispatch (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const path = q < 0 ? raw : raw.slice(0, q)
    const url = new URL(raw, 'http://registry.invalid')
    const route = parsePath(path)
    if (route === undefined) throw new RegistryError('UNSUPPORTED', `no such endpoint: ${path.slice(0, 200)}`, { status: 404 })
    const method = req.method ?? 'GET'
    const handlers = handlersOf(this.ctx, { req, res, url }, route)
    const handler = handlers[method]
    if (handler === undefined) {
      throw new RegistryError('UNSUPPORTED', `${method} is not supported on this endpoint`, { headers: { allow: Object.keys(handlers).join(', ') } })
    }
    await handler()
  }

  private fail (req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const e = toRegistryError(err)
    if (clientGone(req, res)) {
      this.ctx.log('debug', 'registry client went away', { method: req.method, url: req.url?.slice(0, 300), err })
      res.destroy()
      return
    }
    if (e.code === 'INTERNAL') this.ctx.log('error', 'registry request failed', { method: req.method, url: req.url?.slice(0, 300), err })
    else this.ctx.log('debug', 'registry request refused', { method: req.method, url: req.url?.slice(0, 300), code: e.code, status: e.status })
    const body = errorBody(e)
    // A small body we did not read is read first (the client gets the answer, not a reset); a large one is not.
    answerAfterBody(req, res, MAX_SMALL_BODY_BYTES, close => {
      res.writeHead(e.status, { ...COMMON_HEADERS, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...e.headers, ...(close ? { connection: 'close' } : {}) })
      res.end(body)
    })
  }
}

/** What a handler threw, as a registry error: the port's MycelErrors by code, anything else INTERNAL. */
export function toRegistryError (err: unknown): RegistryError {
  if (isRegistryError(err)) return err
  if (isMycelError(err)) {
    switch (err.code) {
      case 'NOT_FOUND': return new RegistryError('BLOB_UNKNOWN', err.message, { cause: err })
      case 'UNAVAILABLE':
      case 'TIMEOUT': return new RegistryError('UNAVAILABLE', err.message, { cause: err, headers: { 'retry-after': '5' } })
      case 'TOO_LARGE': return RegistryError.sizeInvalid(err.message, 413)
      case 'PERMISSION_DENIED': return RegistryError.denied(`this site cannot do that: ${err.message}`)
      // An immutable rule (docs/rules.md) over a tag: the spec has no conflict code; DENIED, as registries with immutable tags answer, with the reason.
      case 'CONFLICT': return RegistryError.denied(err.message)
      default: break
    }
  }
  return new RegistryError('INTERNAL', 'internal error (see the registry log)', { cause: err })
}

function base (ctx: RouteContext, r: Request): void {
  ctx.auth.check(r.req, 'reader')
  sendJson(r.res, 200, {})
}
