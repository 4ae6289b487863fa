// /metrics for site health (site-health.ts), one label set per member, by site name (the peer id when
// it named none): up or not, and its true lag — from its last report, so a site that is down keeps the
// lag it had, never a fake 0; a site that never reported has no lag series at all.

import type { MetricsRegistry } from './metrics.js'
import type { SiteHealthView } from './site-health.js'

export function defineSiteMetrics (m: MetricsRegistry, view: () => SiteHealthView[]): void {
  const up = m.gauge('mycel_site_up', 'Whether a site has a sync session with this node (1) or not (0), by site.')
  const lag = m.gauge('mycel_site_lag_events', 'Events a site lacks of those held here, as of its last report, by site.')
  const lagSeconds = m.gauge('mycel_site_lag_seconds', 'How long a site has lacked the oldest event held here, as of its last report, by site.')
  const lastSeen = m.gauge('mycel_site_last_seen_seconds', 'When a site was last connected (Unix time), by site.')
  m.onCollect(() => {
    up.reset(); lag.reset(); lagSeconds.reset(); lastSeen.reset()
    for (const s of view()) {
      if (s.self) continue
      const labels = { site: s.name ?? s.peerId, peer: s.peerId }
      up.set(s.state === 'connected' ? 1 : 0, labels)
      if (s.lag !== null) { lag.set(s.lag.ahead, labels); lagSeconds.set(s.lag.lagMs / 1000, labels) }
      if (s.lastSeenMs !== null) lastSeen.set(s.lastSeenMs / 1000, labels)
    }
  })
}
