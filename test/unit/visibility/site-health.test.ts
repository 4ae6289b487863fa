// Site health (site-health.ts) on injected time: down only after the debounce, up with how long it was
// down, behind once per episode, a never-seen site raises nothing, and a down site keeps its true lag.
import { describe, expect, it } from 'vitest'
import type { VisEventDraft } from '../../../daemon/visibility/events.js'
import { SiteHealth, type SiteLag } from '../../../daemon/visibility/site-health.js'
import type { SyncMember } from '../../../daemon/visibility/types.js'

function harness () {
  let now = 1_000_000
  let remembered: number | undefined
  const connected = new Set<string>()
  const lags = new Map<string, SiteLag>()
  const events: VisEventDraft[] = []
  const left = new Set<string>()
  const members = (): SyncMember[] => [
    { peerId: 'self', name: 'hub', role: 'admin', connected: false, self: true },
    ...['p1', 'p2'].filter(p => !left.has(p)).map(p => ({ peerId: p, name: `edge-${p}`, role: 'writer', connected: connected.has(p), self: false }))
  ]
  const health = new SiteHealth({ downAfterMs: 3_000, behindEvents: 100, behindMs: 60_000 }, {
    members,
    lagOf: p => lags.get(p),
    reportAtMs: p => lags.has(p) ? now - 500 : undefined,
    rememberedSeenMs: p => p === 'p2' ? remembered : undefined,
    nowMs: () => now,
    emit: d => { events.push(d) }
  })
  return { health, connected, lags, events, left, remember: (ms: number) => { remembered = ms }, advance: (ms: number) => { now += ms; health.check() }, now: () => now }
}

describe('SiteHealth', () => {
  it('a site is down only once it has been gone for downAfterMs, and up again says for how long', () => {
    const h = harness()
    h.connected.add('p1')
    h.advance(0)
    expect(h.health.view().find(s => s.peerId === 'p1')?.state).toBe('connected')
    h.connected.delete('p1')
    h.advance(1_000)
    h.connected.add('p1') // back within the debounce: no flap
    h.advance(1_000)
    h.connected.delete('p1')
    const lastSeen = h.now()
    h.advance(2_000)
    expect(h.events).toEqual([])
    h.advance(1_000)
    expect(h.events).toEqual([{ type: 'site-down', key: 'mycel:site/p1', peer: 'p1', peerName: 'edge-p1', lastSeenMs: lastSeen }])
    expect(h.health.view().find(s => s.peerId === 'p1')).toMatchObject({ state: 'unreachable', sinceMs: lastSeen, lastSeenMs: lastSeen })
    h.advance(10_000)
    expect(h.events).toHaveLength(1) // said once
    h.connected.add('p1')
    h.advance(1_000)
    expect(h.events[1]).toEqual({ type: 'site-up', key: 'mycel:site/p1', peer: 'p1', peerName: 'edge-p1', downForMs: h.now() - lastSeen })
  })

  it('a site remembered from before a restart (peers.json) and not reachable is shown down after the debounce, with nothing announced; when it comes, no site-up', () => {
    const h = harness()
    h.remember(400_000)
    h.advance(0)
    expect(h.health.view().find(s => s.peerId === 'p2')).toMatchObject({ state: 'never-seen', lastSeenMs: 400_000 })
    h.advance(3_000)
    expect(h.health.view().find(s => s.peerId === 'p2')).toMatchObject({ state: 'unreachable', sinceMs: 400_000, lastSeenMs: 400_000 })
    h.connected.add('p2')
    h.advance(1_000)
    expect(h.health.view().find(s => s.peerId === 'p2')?.state).toBe('connected')
    expect(h.events).toEqual([])
  })

  it('a site never connected, as far as this node knows, raises nothing and shows as never-seen', () => {
    const h = harness()
    h.advance(0)
    h.advance(60_000)
    expect(h.events).toEqual([])
    expect(h.health.view().find(s => s.peerId === 'p2')).toMatchObject({ state: 'never-seen', sinceMs: null, lastSeenMs: null, lag: null, reportAgeMs: null })
  })

  it('behind once per episode, by count or by age; a down site keeps its lag', () => {
    const h = harness()
    h.connected.add('p1')
    h.lags.set('p1', { lag: 5, behind: 0, ahead: 5, lagMs: 1_000 })
    h.advance(0)
    expect(h.events).toEqual([])
    h.lags.set('p1', { lag: 5, behind: 0, ahead: 5, lagMs: 61_000 })
    h.advance(1_000)
    h.advance(1_000)
    expect(h.events).toEqual([{ type: 'site-behind', key: 'mycel:site/p1', peer: 'p1', peerName: 'edge-p1', lag: 5, lagMs: 61_000 }])
    h.lags.set('p1', { lag: 0, behind: 0, ahead: 0, lagMs: 0 })
    h.advance(1_000)
    h.lags.set('p1', { lag: 150, behind: 0, ahead: 150, lagMs: 2_000 })
    h.advance(1_000)
    expect(h.events.map(e => e.type)).toEqual(['site-behind', 'site-behind'])
    h.connected.delete('p1')
    h.advance(5_000)
    expect(h.health.view().find(s => s.peerId === 'p1')).toMatchObject({ state: 'unreachable', lag: { ahead: 150 }, behind: true, reportAgeMs: 500 })
  })

  it('a member that leaves the membership (revoked) is forgotten: no site-down for it', () => {
    const h = harness()
    h.connected.add('p1')
    h.advance(0)
    expect(h.health.view().map(s => s.peerId)).toEqual(['self', 'p1', 'p2'])
    h.left.add('p1')
    h.connected.delete('p1')
    h.advance(10_000)
    expect(h.health.view().map(s => s.peerId)).toEqual(['self', 'p2'])
    expect(h.events).toEqual([])
  })
})
