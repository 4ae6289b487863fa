// The webhook endpoints of the local API (what `mycel webhooks` calls), in the
// table of routes.ts; all need the bearer token. Shapes in
// visibility/webhooks/types.ts, re-exported by contract.ts:
//   GET  /v1/webhooks                            WebhookInfo[] (never a URL's path or query, a secret or a header value)
//   GET  /v1/webhooks/log?webhook=N&limit=N      DeliveryInfo[], newest queued first (limit default 20)
//   POST /v1/webhooks/ping?webhook=N             PingResult (a ping queued to webhook N, or to every one)
//   POST /v1/webhooks/redeliver?id=ID            DeliveryInfo (the delivery queued again, same id and body)

import type { IncomingMessage, ServerResponse } from 'node:http'
import { MycelError } from '../../protocol/errors.js'
import type { VisibilityHub } from '../visibility/hub.js'
import { DEFAULT_LOG_LIMIT, MAX_LOG_LIMIT } from '../visibility/webhooks/constants.js'
import type { Webhooks } from '../visibility/webhooks/webhooks.js'
import { sendJson } from './errors.js'
import type { Method, Route, RouteMatch } from './router.js'

export function webhookRoutes (hub: () => VisibilityHub | undefined): Route[] {
  const route = (method: Method, path: string, answer: (hooks: Webhooks, url: URL) => Promise<unknown> | unknown): Route => ({
    method,
    path,
    auth: 'token',
    handle: async (req: IncomingMessage, res: ServerResponse, { url }: RouteMatch) => {
      const h = hub()
      if (h === undefined) throw new MycelError('NOT_FOUND', `no route ${method} ${url.pathname}`)
      req.resume()
      sendJson(res, 200, await answer(h.webhooks, url))
    }
  })
  return [
    route('GET', '/v1/webhooks', hooks => hooks.list()),
    route('GET', '/v1/webhooks/log', (hooks, url) => hooks.deliveries(webhookParam(url), intParam(url, 'limit', 1, MAX_LOG_LIMIT) ?? DEFAULT_LOG_LIMIT)),
    route('POST', '/v1/webhooks/ping', (hooks, url) => hooks.ping(webhookParam(url))),
    route('POST', '/v1/webhooks/redeliver', async (hooks, url) => {
      const id = url.searchParams.get('id') ?? ''
      if (id === '') throw MycelError.usage('redeliver needs the delivery\'s id (id=…; mycel webhooks log lists them)')
      return await hooks.redeliver(id)
    })
  ]
}

/** `webhook=N`: a webhook's index in the config; absent: every webhook. */
function webhookParam (url: URL): number | undefined {
  return intParam(url, 'webhook', 0, Number.MAX_SAFE_INTEGER)
}

function intParam (url: URL, name: string, min: number, max: number): number | undefined {
  const text = url.searchParams.get(name)
  if (text === null) return undefined
  const n = Number(text)
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw MycelError.usage(`${name} must be an integer in ${min}..${max}`)
  return n
}
