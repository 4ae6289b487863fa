// `--metrics-listen ADDR` (config `metricsListen`): a second HTTP listener that serves only
// `GET /metrics` (metrics-route.ts), without the API token, on an address the operator chooses — e.g.
// `0.0.0.0:9464` for a Prometheus on another host, where the local API (127.0.0.1, token) cannot be
// reached. It serves nothing else: every other path is 404, another method 405, all JSON.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MycelError } from '../../protocol/errors.js'
import type { ListenAddr } from '../listen-addr.js'
import type { Logger } from '../log.js'
import { closeHttp } from '../http-server.js'
import { sendError, sendThrown } from './errors.js'
import { allowedMethods, findRoute, requestUrl, type Route } from './router.js'

/** A metrics scrape is small and quick; a few at once is plenty. */
const MAX_METRICS_CONNECTIONS = 16

export interface MetricsServerComponents {
  /** The /metrics route, public (metricsRoute(…, 'public')). */
  route: Route
  log: Logger
}

export class MetricsServer {
  private server: Server | undefined
  private urlText = ''

  constructor (private readonly addr: ListenAddr, private readonly c: MetricsServerComponents) {}

  /** `http://HOST:PORT/metrics` as bound (the real port when 0 was asked for). */
  get url (): string { return this.urlText }

  async start (): Promise<void> {
    const routes = [this.c.route]
    const server = createServer((req, res) => {
      req.resume()
      const url = requestUrl(req)
      const found = findRoute(routes, req.method ?? 'GET', url)
      if (found === undefined) {
        const allow = allowedMethods(routes, url)
        if (allow.length > 0) sendError(res, 'USAGE', `method ${req.method ?? ''} is not allowed on ${url.pathname}; allowed: ${allow.join(', ')}`, 405, undefined, { allow: allow.join(', ') })
        else sendError(res, 'NOT_FOUND', `only GET /metrics is served here, not ${url.pathname}`)
        return
      }
      Promise.resolve(found.route.handle(req, res, found.match)).catch(err => {
        this.c.log.debug('metrics request failed', { err })
        sendThrown(res, err)
      })
    })
    server.maxConnections = MAX_METRICS_CONNECTIONS
    server.headersTimeout = 10_000
    server.requestTimeout = 30_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new MycelError('UNAVAILABLE', `cannot listen for metrics on ${this.addr.host ?? '*'}:${this.addr.port}: ${err.code ?? err.message}`, { cause: err }))
      })
      server.listen(this.addr.port, this.addr.host, () => { resolve() })
    })
    this.server = server
    const { address, port, family } = server.address() as AddressInfo
    this.urlText = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/metrics`
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    await closeHttp(server)
  }
}
