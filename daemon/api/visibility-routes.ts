// The visibility endpoints of the local API, in the table of routes.ts (all
// need the bearer token except the status page itself, which holds no secret
// and asks for the token):
//   GET /v1/events?prefix=P&type=T[,T]&recent=N   NDJSON stream of VisEvent; N recent first
//   GET /v1/where/<key>                          WhereAnswer
//   GET /v1/settle/<key>?author=A&seq=N          SettleAnswer (which members hold that write; what wins the key)
//   GET /v1/sync/members                         SyncMember[] (with connected/self; /v1/members is the federation's list)
//   GET /v1/sync                                 PeerSync[]
//   GET /v1/sites                                SiteRow[] (every member's health as this node sees it)
//   GET /metrics                                 Prometheus text (format 0.0.4; metrics-route.ts)
//   GET /  and  GET /ui                          the status page (daemon/ui/status.html)
// A watch stream that falls MAX_SUBSCRIBER_BUFFER events behind is ended with
// one line {"error":{"code":"UNAVAILABLE",...}}: the reader knows it missed events.

import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { MycelError } from '../../protocol/errors.js'
import { isVisEventType, VIS_EVENT_TYPES, type VisEventType } from '../visibility/events.js'
import type { VisibilityHub } from '../visibility/hub.js'
import { MAX_SUBSCRIBER_BUFFER, RECENT_EVENTS } from '../visibility/limits.js'
import { sendJson } from './errors.js'
import { metricsRoute, type ProcessMetricsText } from './metrics-route.js'
import { parseKey } from './node-routes.js'
import type { Route, RouteMatch } from './router.js'

/** The visibility routes; `hub` is the running node's (absent: these paths are not routes yet); `processText`: process_* and nodejs_* for /metrics. */
export function visibilityRoutes (hub: () => VisibilityHub | undefined, processText?: ProcessMetricsText): Route[] {
  const get = (path: string | RegExp, answer: (hub: VisibilityHub, res: ServerResponse, match: RouteMatch, req: IncomingMessage) => Promise<void> | void): Route => ({
    method: 'GET',
    path,
    auth: 'token',
    handle: async (req, res, match) => {
      const h = hub()
      if (h === undefined) throw new MycelError('NOT_FOUND', `no route GET ${match.url.pathname}`)
      await answer(h, res, match, req)
    }
  })
  return [
    get('/v1/events', async (h, res, { url }, req) => { await streamEvents(h, url, res, req.method === 'HEAD') }),
    get(/^\/v1\/where\/(.*)$/, async (h, res, { groups }) => { sendJson(res, 200, await h.where(parseKey(groups?.[1] ?? ''))) }),
    get(/^\/v1\/settle\/(.*)$/, (h, res, { groups, url }) => {
      const author = url.searchParams.get('author') ?? ''
      const seq = Number(url.searchParams.get('seq'))
      if (author === '' || !Number.isSafeInteger(seq) || seq < 1) throw MycelError.usage('settle needs author=PEER and seq=N (a positive integer)')
      sendJson(res, 200, h.settle(parseKey(groups?.[1] ?? ''), author, seq))
    }),
    get('/v1/sync/members', (h, res) => { sendJson(res, 200, h.members()) }),
    get('/v1/sync', (h, res) => { sendJson(res, 200, h.peerSync()) }),
    get('/v1/sites', (h, res) => { sendJson(res, 200, h.sites()) }),
    metricsRoute(hub, processText, 'token')
  ]
}

/** The status page, GET / and GET /ui: public (no token) because it carries no data; it fetches everything with the token it is given. */
export function statusPageRoutes (): Route[] {
  let html: string | undefined
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    html ??= await loadPage()
    req.resume()
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'cache-control': 'no-store',
      // Inline script and style only, API calls to this origin only; never framed; the token is never sent as a referrer.
      'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer'
    })
    res.end(html)
  }
  return [
    { method: 'GET', path: '/', auth: 'public', handle },
    { method: 'GET', path: '/ui', auth: 'public', handle }
  ]
}

/** The page lives in daemon/ui/ (not compiled): next to this module's source, or found from dist/. */
async function loadPage (): Promise<string> {
  const candidates = ['../ui/status.html', '../../../daemon/ui/status.html']
  for (const rel of candidates) {
    try {
      return await readFile(fileURLToPath(new URL(rel, import.meta.url)), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  throw new MycelError('NOT_FOUND', 'the status page (daemon/ui/status.html) is not installed')
}

async function streamEvents (hub: VisibilityHub, url: URL, res: ServerResponse, headOnly = false): Promise<void> {
  const types = parseTypes(url.searchParams.getAll('type'))
  const prefix = url.searchParams.get('prefix') ?? ''
  const recentText = url.searchParams.get('recent') ?? '0'
  const recent = Number(recentText)
  if (!Number.isInteger(recent) || recent < 0 || recent > RECENT_EVENTS) throw MycelError.usage(`recent must be an integer in 0..${RECENT_EVENTS}`)
  const headers = { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }
  if (headOnly) {
    // HEAD: the stream's headers, and no subscription (a stream never ends on its own).
    res.writeHead(200, headers)
    res.end()
    return
  }
  const sub = hub.bus.subscribe({ prefix, types })
  const backlog = hub.bus.recent(recent, { prefix, types })
  res.writeHead(200, headers)
  res.flushHeaders()
  // The response's 'close' is the connection going away (the request's fires once its empty body is read).
  res.on('close', () => { sub.close() })
  try {
    for (const event of backlog) await write(res, JSON.stringify(event) + '\n')
    for (;;) {
      const event = await sub.next()
      if (event === undefined) break
      if (!await write(res, JSON.stringify(event) + '\n')) break
    }
    if (sub.closedBecause === 'slow') {
      await write(res, JSON.stringify({ error: { code: 'UNAVAILABLE', message: `this watcher fell more than ${MAX_SUBSCRIBER_BUFFER} events behind and was dropped; reconnect (events were missed)` } }) + '\n')
    }
  } finally {
    sub.close()
    res.end()
  }
}

/** false once the connection is gone. Waits for drain so a slow reader backs up into its bus buffer, which is bounded. */
async function write (res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return false
  if (res.write(text)) return true
  return await new Promise<boolean>(resolve => {
    const done = (ok: boolean): void => { res.off('drain', onDrain); res.off('close', onClose); resolve(ok) }
    const onDrain = (): void => { done(true) }
    const onClose = (): void => { done(false) }
    res.on('drain', onDrain)
    res.on('close', onClose)
  })
}

function parseTypes (values: string[]): VisEventType[] {
  const out: VisEventType[] = []
  for (const t of values.flatMap(v => v.split(',')).filter(v => v !== '')) {
    if (!isVisEventType(t)) throw MycelError.usage(`unknown event type "${t}"; one of ${VIS_EVENT_TYPES.join(', ')}`)
    out.push(t)
  }
  return out
}
