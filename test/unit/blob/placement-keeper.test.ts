// The replication factor at one site (daemon/blob/placement-keeper.ts), on virtual time: a put under
// a `replicas` rule is placed and fetched here only if this site is a holder; a revoke, a rules
// change or a holder down past the grace places every blob again; the work runs in bounded slices.
import { describe, expect, it } from 'vitest'
import { PLACEMENT_DOWN_CHECK_MS, PLACEMENT_DOWN_GRACE_MS, PLACEMENT_RESWEEP_MS, PLACEMENT_SLICE_KEYS, PLACEMENT_SWEEP_DEBOUNCE_MS, PLACEMENT_SWEEP_DELAY_MS_MAX } from '../../../daemon/blob/constants.js'
import { PlacementKeeper } from '../../../daemon/blob/placement-keeper.js'
import { BlobRefs, hexOf } from '../../../daemon/blob/refs.js'
import type { Logger } from '../../../daemon/log.js'
import type { Event, EventBody, ReplicateMode } from '../../../protocol/event.js'
import { rankCandidates } from '../../../protocol/placement.js'
import { RuleSet, type Rule } from '../../../protocol/rules.js'
import { sha256 } from '../../../protocol/sha256.js'
import { VirtualTime } from '../../helpers/virtual-time.js'

const quiet = { info: () => {}, warn: () => {}, debug: () => {} } as unknown as Logger
const digestOf = (n: number): Uint8Array => sha256(new TextEncoder().encode(`blob ${n}`))
const SITES = ['s0', 's1', 's2', 's3', 's4']

/** One site's keeper over fake federation parts the test changes at will. */
function site (self: string, rules: Rule[] = [{ prefix: '', replicas: 2 }]) {
  const time = new VirtualTime()
  const refs = new BlobRefs()
  const winners = new Map<string, Event>()
  const state = {
    rules: new RuleSet(rules),
    members: [...SITES],
    down: new Set<string>(),
    modes: new Map<string, ReplicateMode>(),
    wanted: [] as string[]
  }
  const keeper = new PlacementKeeper({
    selfId: self,
    refs,
    rules: () => state.rules,
    winner: key => winners.get(key),
    members: () => state.members.map(peer => ({ peer, demoted: state.down.has(peer) })),
    modeOf: peer => state.modes.get(peer) ?? 'on-demand',
    want: hex => { state.wanted.push(hex) },
    timers: time,
    log: quiet
  })
  const put = (key: string, n: number, author: string): Event => {
    const event = { author, seq: n, body: { kind: 'put', key, digest: digestOf(n), size: n, props: {} } } as unknown as Event
    const previous = winners.get(key)
    winners.set(key, event)
    refs.applied(event, previous, time.nowMs())
    keeper.applied(event)
    return event
  }
  const system = (kind: EventBody['kind']): void => { keeper.applied({ author: 's0', seq: 1, body: { kind } } as unknown as Event) }
  return { time, refs, keeper, state, put, system }
}

/** The order placement gives digest n among the sites, the author left out. */
const orderOf = (n: number, members = SITES): string[] => rankCandidates({ digest: digestOf(n), author: 'nobody', members: members.map(peer => ({ peer })) })

describe('PlacementKeeper', () => {
  it('fetches the bytes of a put only at the sites placement chose', async () => {
    const author = 's0'
    const order = orderOf(7).filter(p => p !== author)
    const chosen = site(order[0])
    const other = site(order[1])
    for (const s of [chosen, other]) { s.keeper.start(); await s.time.advance(0) }
    chosen.put('a/k', 7, author)
    other.put('a/k', 7, author)
    await chosen.time.advance(1)
    await other.time.advance(1)
    expect(chosen.state.wanted).toEqual([hexOf(digestOf(7))])
    expect(chosen.keeper.isPlaced(hexOf(digestOf(7)))).toBe(true)
    expect(other.state.wanted).toEqual([])
    expect(chosen.keeper.forKey('a/k')).toEqual({ target: 2, holders: [author, order[0]] })
  })

  it('does nothing for keys without a replicas rule', async () => {
    const s = site('s1', [{ prefix: 'rel/', replicas: 5 }])
    s.keeper.start()
    s.put('tmp/k', 1, 's0')
    await s.time.advance(1)
    expect(s.state.wanted).toEqual([])
    expect(s.keeper.forKey('tmp/k')).toBeUndefined()
    s.put('rel/k', 2, 's0')
    await s.time.advance(1)
    expect(s.state.wanted).toEqual([hexOf(digestOf(2))])
  })

  it('places every blob again after a revoke: the next site in the order fetches', async () => {
    const author = 's0'
    const order = orderOf(3).filter(p => p !== author)
    const next = site(order[1])
    next.keeper.start()
    next.put('k', 3, author)
    await next.time.advance(1)
    expect(next.state.wanted).toEqual([])
    // The author is revoked: it is no longer a member; the revoke event reaches the keeper.
    next.state.members = SITES.filter(p => p !== author)
    next.system('revoke')
    await next.time.advance(PLACEMENT_SWEEP_DEBOUNCE_MS - 1)
    expect(next.state.wanted).toEqual([])
    await next.time.advance(1)
    expect(next.state.wanted).toEqual([hexOf(digestOf(3))])
    expect(next.keeper.forKey('k')?.holders).toEqual([order[0], order[1]])
  })

  it('replaces a holder down past the grace, and is no holder again once it is back (nothing here drops the copy)', async () => {
    const author = 's0'
    const order = orderOf(4).filter(p => p !== author)
    const next = site(order[1])
    next.keeper.start()
    next.put('k', 4, author)
    await next.time.advance(1)
    next.state.down.add(order[0])
    await next.time.advance(PLACEMENT_DOWN_CHECK_MS + PLACEMENT_SWEEP_DEBOUNCE_MS)
    expect(next.state.wanted).toEqual([hexOf(digestOf(4))])
    next.state.down.clear()
    await next.time.advance(PLACEMENT_DOWN_CHECK_MS + PLACEMENT_SWEEP_DEBOUNCE_MS)
    expect(next.keeper.isPlaced(hexOf(digestOf(4)))).toBe(false)
    expect(PLACEMENT_DOWN_GRACE_MS).toBeGreaterThan(PLACEMENT_DOWN_CHECK_MS)
  })

  it('never chooses a site whose policy for the key is none', async () => {
    const author = 's0'
    const order = orderOf(5).filter(p => p !== author)
    const s = site(order[1])
    s.state.modes.set(order[0], 'none')
    s.keeper.start()
    s.put('k', 5, author)
    await s.time.advance(1)
    expect(s.state.wanted).toEqual([hexOf(digestOf(5))])
  })

  it('asks the mirror again for every blob placed here on each re-sweep (a fetch given up on)', async () => {
    const s = site('s1')
    s.keeper.start()
    s.put('k', 6, 's1') // its own put: the author is first
    await s.time.advance(1)
    expect(s.state.wanted).toHaveLength(1)
    await s.time.advance(PLACEMENT_RESWEEP_MS + PLACEMENT_SWEEP_DEBOUNCE_MS)
    expect(s.state.wanted).toHaveLength(2)
  })

  it('a stream of membership events puts the sweep off by PLACEMENT_SWEEP_DELAY_MS_MAX at most', async () => {
    const s = site('s1')
    s.keeper.start()
    await s.time.advance(1)
    const before = s.keeper.stats.sweeps
    const stepMs = PLACEMENT_SWEEP_DEBOUNCE_MS - 100 // each event comes before the last one's quiet time is over
    let waitedMs = 0
    while (s.keeper.stats.sweeps === before && waitedMs < 60_000) {
      s.system('site')
      await s.time.advance(stepMs)
      waitedMs += stepMs
    }
    expect(s.keeper.stats.sweeps).toBe(before + 1)
    // Seen at the end of the step it ran in.
    expect(waitedMs).toBeLessThanOrEqual(PLACEMENT_SWEEP_DELAY_MS_MAX + PLACEMENT_SWEEP_DEBOUNCE_MS + stepMs)
  })

  it('forgets placements when the rule goes', async () => {
    const s = site('s1')
    s.keeper.start()
    s.put('k', 8, 's1')
    await s.time.advance(1)
    expect(s.keeper.isPlaced(hexOf(digestOf(8)))).toBe(true)
    s.state.rules = new RuleSet([])
    s.system('rules')
    await s.time.advance(PLACEMENT_SWEEP_DEBOUNCE_MS)
    expect(s.keeper.isPlaced(hexOf(digestOf(8)))).toBe(false)
  })

  it('forgets a blob placed here once no live key references it (the sweep does not visit it)', async () => {
    const s = site('s1')
    s.keeper.start()
    s.put('k', 8, 's1')
    await s.time.advance(1)
    expect(s.keeper.isPlaced(hexOf(digestOf(8)))).toBe(true)
    s.put('k', 9, 's2') // the key moves on to other bytes: digest 8 is an orphan, the collector's
    await s.time.advance(PLACEMENT_RESWEEP_MS + PLACEMENT_SWEEP_DEBOUNCE_MS)
    expect(s.keeper.isPlaced(hexOf(digestOf(8)))).toBe(false)
    expect(s.keeper.size).toBe(s.keeper.isPlaced(hexOf(digestOf(9))) ? 1 : 0)
  })

  it('keeps every blob under a factor until its first sweep is done (a restart: the quota trims before placement has run)', async () => {
    const author = 's0'
    const self = orderOf(7).filter(p => p !== author)[0]
    const s = site(self)
    s.put('a/k', 7, author) // loaded before start, as the refs are at a restart
    s.put('b/k', 3, author)
    expect(s.keeper.isPlaced(hexOf(digestOf(7)))).toBe(false) // placement's answer: not worked out yet
    expect(s.keeper.mustKeep(hexOf(digestOf(7)))).toBe(true) // the quota's: keep it meanwhile
    s.keeper.start()
    await s.time.advance(1)
    expect(s.keeper.mustKeep(hexOf(digestOf(7)))).toBe(true)
    expect(s.keeper.mustKeep(hexOf(digestOf(3)))).toBe(s.keeper.isPlaced(hexOf(digestOf(3)))) // swept: exact
  })

  it('works in slices of at most PLACEMENT_SLICE_KEYS keys per turn', async () => {
    // Manual timers: each after(0) is one turn, run one at a time.
    const turns: Array<() => void> = []
    const refs = new BlobRefs()
    const winners = new Map<string, Event>()
    let placedCalls = 0
    const keeper = new PlacementKeeper({
      selfId: 's0',
      refs,
      rules: () => new RuleSet([{ prefix: '', replicas: 1 }]),
      winner: key => winners.get(key),
      members: () => { placedCalls++; return SITES.map(peer => ({ peer, demoted: false })) },
      modeOf: () => 'eager',
      want: () => {},
      // Only the turns (after(0)) run: the periodic checks never come due here.
      timers: { monoMs: () => 0, after: (ms, fn) => { if (ms === 0) turns.push(fn); return () => {} }, at: () => () => {} },
      log: quiet
    })
    for (let n = 0; n < 1000; n++) {
      const event = { author: 's0', seq: n, body: { kind: 'put', key: `k${n}`, digest: digestOf(n), size: 1, props: {} } } as unknown as Event
      winners.set(`k${n}`, event)
      refs.applied(event, undefined, 0)
    }
    keeper.start() // one sweep of every blob, from the first turn
    let slices = 0
    while (turns.length > 0) {
      const before = keeper.stats.keysPlaced
      ;(turns.shift() as () => void)()
      if (keeper.stats.keysPlaced > before) slices++
      expect(keeper.stats.keysPlaced - before).toBeLessThanOrEqual(PLACEMENT_SLICE_KEYS + 1)
    }
    expect(keeper.size).toBe(1000)
    expect(slices).toBeGreaterThanOrEqual(Math.ceil(2000 / PLACEMENT_SLICE_KEYS))
    expect(placedCalls).toBeGreaterThan(0)
    keeper.stop()
  })
})
