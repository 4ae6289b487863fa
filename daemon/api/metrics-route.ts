// `GET /metrics`: the running federation's registry (visibility/metrics.ts, mycel_*) followed by the
// process's families (visibility/process-metrics.ts, process_* and nodejs_*), as Prometheus text 0.0.4.
// One route, served twice: on the local API with the bearer token, and — with `--metrics-listen ADDR` —
// on an address the operator chooses without it (metrics-server.ts), so Prometheus on another host can
// scrape it. The text carries no secret (webhooks are labelled by index, not URL).
import { MycelError } from '../../protocol/errors.js'
import type { VisibilityHub } from '../visibility/hub.js'
import type { Route } from './router.js'

export type ProcessMetricsText = () => Promise<string>

export function metricsRoute (hub: () => VisibilityHub | undefined, processText: ProcessMetricsText | undefined, auth: Route['auth']): Route {
  return {
    method: 'GET',
    path: '/metrics',
    auth,
    handle: async (_req, res) => {
      const h = hub()
      if (h === undefined) throw new MycelError('NOT_FOUND', 'no route GET /metrics')
      const text = h.metrics.render() + (await processText?.() ?? '')
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
      res.end(text)
    }
  }
}
