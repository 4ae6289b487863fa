// The visibility endpoints of the local API (all need the bearer token except
// the status page itself, which holds no secret and asks for the token):
//   GET /v1/events?prefix=P&type=T[,T]&recent=N   NDJSON stream of VisEvent; N recent first
//   GET /v1/where/<key>                          WhereAnswer
//   GET /v1/sync/members                         MemberInfo[] (with connected/self; /v1/members is the federation's list)
//   GET /v1/sync                                 PeerSync[]
//   GET /metrics                                 Prometheus text (format 0.0.4)
//   GET /  and  GET /ui                          the status page (daemon/ui/status.html)
// A watch stream that falls MAX_SUBSCRIBER_BUFFER events behind is ended with
// one line {"error":{"code":"UNAVAILABLE",...}}: the reader knows it missed events.

import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { MycelError } from '../../protocol/errors.js'
import { parseKey } from './node-routes.js'
import { sendJson } from './errors.js'
import { isVisEventType, VIS_EVENT_TYPES, type VisEventType } from '../visibility/events.js'
import type { VisibilityHub } from '../visibility/hub.js'
import { MAX_SUBSCRIBER_BUFFER, RECENT_EVENTS } from '../visibility/limits.js'

/** Routes a request if it is one of ours; false ⇒ not ours (the main router goes on). */
export async function visibilityRoute (hub: VisibilityHub, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1')
  const path = url.pathname
  if (req.method !== 'GET') return false
  if (path === '/v1/events') { await streamEvents(hub, url, res); return true }
  if (path.startsWith('/v1/where/')) { sendJson(res, 200, await hub.where(parseKey(path.slice('/v1/where/'.length)))); return true }
  if (path === '/v1/sync/members') { sendJson(res, 200, hub.members()); return true }
  if (path === '/v1/sync') { sendJson(res, 200, hub.peerSync()); return true }
  if (path === '/metrics') {
    const text = hub.metrics.render()
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
    res.end(text)
    return true
  }
  return false
}

/** The status page: public (no token) because it carries no data; it fetches everything with the token it is given. */
export class StatusPage {
  private html: string | undefined

  async serve (req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    if (req.method !== 'GET' || (path !== '/' && path !== '/ui')) return false
    this.html ??= await loadPage()
    req.resume()
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(this.html),
      'cache-control': 'no-store',
      // Inline script and style only, API calls to this origin only; never framed; the token is never sent as a referrer.
      'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer'
    })
    res.end(this.html)
    return true
  }
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

async function streamEvents (hub: VisibilityHub, url: URL, res: ServerResponse): Promise<void> {
  const types = parseTypes(url.searchParams.getAll('type'))
  const prefix = url.searchParams.get('prefix') ?? ''
  const recentText = url.searchParams.get('recent') ?? '0'
  const recent = Number(recentText)
  if (!Number.isInteger(recent) || recent < 0 || recent > RECENT_EVENTS) throw MycelError.usage(`recent must be an integer in 0..${RECENT_EVENTS}`)
  const sub = hub.bus.subscribe({ prefix, types })
  const backlog = hub.bus.recent(recent, { prefix, types })
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
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
