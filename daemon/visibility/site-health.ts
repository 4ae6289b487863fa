// Each member's health as this node sees it, for `mycel sites`, `status`, the page, /metrics and the
// events `site-down`, `site-up` and `site-behind` (watch, webhooks). Pure: time comes from `nowMs`,
// the facts from the parts that hold them (the mesh's sessions, the sync tracker's version vectors);
// `check()` runs once a second from the hub.
//
// States: `connected` (a sync session is up), `unreachable` (it was connected — during this run, or
// before it as the address book remembers — and has not been for `downAfterMs`), `never-seen` (no
// session with it ever, as far as this node knows). Only a site that goes down while this node watches
// raises site-down (and later site-up): a restart does not announce every site that is slow to connect. The debounce
// keeps a session that is re-established at once (a restart of the connection, not of the site) from
// flapping down and up. A site is `behind` while it lacks events we have held for `behindMs` or more,
// or `behindEvents` or more of them; lag is read from its last report (its own, or relayed by another
// member), so a disconnected site keeps its true lag — it never becomes a fake 0.

import { siteKey } from '../../protocol/event.js'
import type { VisEventDraft } from './events.js'
import type { SiteHealthView, SiteLag, SiteState, SyncMember } from './types.js'

export type { SiteHealthView, SiteLag, SiteState } from './types.js'

export interface SiteHealthSettings {
  /** A site disconnected this long is down (site-down). Default 3 s. */
  downAfterMs: number
  /** Lagging by this many events or more is behind (site-behind). Default 1000. */
  behindEvents: number
  /** Lacking an event we have held this long is behind. Default 60 s. */
  behindMs: number
}

export const DEFAULT_SITE_HEALTH: Readonly<SiteHealthSettings> = Object.freeze({ downAfterMs: 3_000, behindEvents: 1_000, behindMs: 60_000 })

export interface SiteHealthComponents {
  members: () => SyncMember[]
  lagOf: (peer: string) => SiteLag | undefined
  /** When its last report (version vector) arrived, ms on nowMs's clock; undefined: none. */
  reportAtMs: (peer: string) => number | undefined
  /** When a session with it last came up, as remembered across restarts (the address book, peers.json). */
  rememberedSeenMs?: (peer: string) => number | undefined
  nowMs: () => number
  emit: (draft: VisEventDraft) => void
}

interface Track {
  state: SiteState
  sinceMs: number
  lastSeenMs: number | null
  behind: boolean
  /** When this node first looked at it (a remembered site is called down only downAfterMs later). */
  firstCheckMs: number
  /** site-down was said for the current `unreachable` (a site found down at start raises no site-up). */
  announced: boolean
}

export class SiteHealth {
  private readonly tracks = new Map<string, Track>()

  constructor (private readonly settings: SiteHealthSettings, private readonly c: SiteHealthComponents) {}

  /** Updates every member's state and emits the transitions. */
  check (): void {
    const now = this.c.nowMs()
    const members = this.c.members().filter(m => !m.self)
    const present = new Set(members.map(m => m.peerId))
    for (const peer of this.tracks.keys()) if (!present.has(peer)) this.tracks.delete(peer) // revoked or left
    for (const m of members) this.step(m, now)
  }

  view (): SiteHealthView[] {
    const now = this.c.nowMs()
    return this.c.members().map(m => {
      const t = this.tracks.get(m.peerId)
      const lag = m.self ? null : this.c.lagOf(m.peerId) ?? null
      const reportAt = m.self ? undefined : this.c.reportAtMs(m.peerId)
      return {
        peerId: m.peerId,
        name: m.name ?? null,
        self: m.self,
        state: m.self ? 'connected' : t?.state ?? (m.connected ? 'connected' : 'never-seen'),
        sinceMs: m.self ? null : t?.state === 'never-seen' ? null : t?.sinceMs ?? null,
        lastSeenMs: m.self ? now : t?.lastSeenMs ?? null,
        lag,
        behind: t?.behind ?? false,
        reportAgeMs: reportAt === undefined ? null : Math.max(0, now - reportAt)
      }
    })
  }

  private step (m: SyncMember, now: number): void {
    let t = this.tracks.get(m.peerId)
    if (t === undefined) {
      const remembered = m.connected ? now : this.c.rememberedSeenMs?.(m.peerId) ?? null
      t = { state: m.connected ? 'connected' : 'never-seen', sinceMs: now, lastSeenMs: remembered, behind: false, firstCheckMs: now, announced: false }
      this.tracks.set(m.peerId, t)
    }
    const site = { key: siteKey(m.peerId), peer: m.peerId, ...(m.name === undefined ? {} : { peerName: m.name }) }
    if (m.connected) {
      t.lastSeenMs = now
      if (t.state === 'unreachable' && t.announced) this.c.emit({ type: 'site-up', ...site, downForMs: now - t.sinceMs })
      if (t.state !== 'connected') { t.state = 'connected'; t.sinceMs = now; t.announced = false }
    } else if (t.state === 'connected' && now - (t.lastSeenMs ?? now) >= this.settings.downAfterMs) {
      // Gone since the last check that saw it (within a check's period of when it really went).
      t.state = 'unreachable'
      t.sinceMs = t.lastSeenMs ?? now
      t.announced = true
      this.c.emit({ type: 'site-down', ...site, lastSeenMs: t.sinceMs })
    } else if (t.state === 'never-seen' && t.lastSeenMs !== null && now - t.firstCheckMs >= this.settings.downAfterMs) {
      // Seen before this daemon started (peers.json) and not reachable since: down, but nothing to
      // announce — it did not go down while we watched, and a restart must not raise a storm of alerts.
      t.state = 'unreachable'
      t.sinceMs = t.lastSeenMs
    }
    const lag = this.c.lagOf(m.peerId)
    // Behind: it lacks events we hold (`ahead`, from our side), many of them or for long.
    const behind = lag !== undefined && lag.ahead > 0 && (lag.ahead >= this.settings.behindEvents || lag.lagMs >= this.settings.behindMs)
    if (behind && !t.behind) this.c.emit({ type: 'site-behind', ...site, lag: lag.ahead, lagMs: lag.lagMs })
    t.behind = behind
  }
}
