// Pulling a multi-part response, and a joiner pulling again.
import { describe, expect, it } from 'vitest'
import type { Event } from '../../../protocol/event.js'
import type { SyncMessage } from '../../../protocol/messages.js'
import { Replica } from '../../../protocol/replica.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { prng } from '../../helpers/mem-cluster.js'

const T0 = 1_700_000_000_000

/** Two replicas joined by in-order links (one FIFO per direction), on a clock the test moves. */
function pair (events: number) {
  let mono = 0
  const queues = new Map<string, SyncMessage[]>([['a', []], ['b', []]])
  const make = (id: string): Replica => {
    const r: Replica = new Replica({ id, antiEntropyIntervalMs: 50, maxBatchBytes: 4096 }, {
      clock: { nowMs: () => T0 + mono, monoMs: () => mono },
      random: prng(id === 'a' ? 1 : 2),
      signer: fakeSigner(id),
      verifier: fakeVerifier,
      send: (to, msg) => { queues.get(to)?.push(msg) },
      persist: b => { r.markDurable(b.n) }
    })
    return r
  }
  const a = make('a')
  const b = make('b')
  for (let i = 0; i < events; i++) a.write({ kind: 'put', key: `k/${i}`, digest: new Uint8Array(32).fill(1), size: 1, props: {} })
  mono += 100
  a.tick() // A's own pushes go out now, to nobody: B is not connected yet
  /** Delivers one message to each side (if any), 1 ms per step, ticking both (their rounds fire). */
  const step = (): boolean => {
    mono += 1
    let moved = false
    for (const [id, r, from] of [['a', a, 'b'], ['b', b, 'a']] as const) {
      const m = queues.get(id)?.shift()
      if (m !== undefined) { r.receive(from, m); moved = true }
      r.tick()
    }
    return moved
  }
  const drop = (): void => { for (const q of queues.values()) q.splice(0) }
  /** Both ends see the link come up at once: each starts a round, and the two cross. */
  const connect = (): void => { a.peerUp('b'); b.peerUp('a') }
  /** Steps until B holds `keys` keys (or a generous bound runs out). */
  const runUntil = (keys: number): void => { for (let i = 0; i < 20_000 && b.counts().keys < keys; i++) step() }
  return { a, b, step, drop, queues, connect, runUntil }
}

describe('pulling a multi-part response', () => {
  it('crossing rounds and rounds during a catch-up do not send the joiner the same events again', () => {
    const n = 3000
    const { a, b, connect, runUntil } = pair(n)
    connect()
    runUntil(n)
    expect(b.counts().keys).toBe(n)
    // Once, every round started during the catch-up (one per 50 ms here) began another stream of the
    // same events (176 320 duplicates for 3 000 events); then the first crossing response still came
    // twice (80). Now a vv that crosses the one we sent is not answered with ours again (the peer is
    // already answering ours), so nothing comes twice.
    expect(b.stats().duplicates).toBe(0)
    expect(b.digest()).toEqual(a.digest())
  })

  it('a write of the joiner\'s own between its vv and the crossing one (a joining daemon publishes its addresses) does not start a second stream', () => {
    const n = 3000
    const { a, b, step, connect, runUntil } = pair(n)
    connect()
    step() // both digests arrive: B sends A its vv, A sends B its own
    b.write({ kind: 'put', key: 'mine', digest: new Uint8Array(32).fill(2), size: 1, props: {} }) // B's coverage moves
    runUntil(n + 1)
    expect(b.counts().keys).toBe(n + 1)
    expect(b.stats().duplicates).toBe(0)
    expect(b.digest()).toEqual(a.digest())
  })

  it('crossing rounds where the joiner\'s vv is lost: the joiner does not answer the crossing vv, and a later round repairs', () => {
    const n = 300
    const { a, b, step, queues, connect, runUntil } = pair(n)
    connect()
    step() // both digests arrive; each side sends its vv (reply: true)
    const toA = queues.get('a') as SyncMessage[]
    const lost = toA.findIndex(m => m.type === 'vv')
    expect(lost).toBeGreaterThanOrEqual(0)
    toA.splice(lost, 1) // the joiner's vv never reaches A
    runUntil(n)
    expect(b.counts().keys).toBe(n)
    expect(b.digest()).toEqual(a.digest())
  })

  it('a pull that stalls does not block anti-entropy for good: the next round after the idle window repairs', () => {
    const n = 500
    const { a, b, step, drop, connect, runUntil } = pair(n)
    connect()
    // Run until B has pulled once, then lose everything in flight (a dropped response): the pull hangs.
    for (let i = 0; i < 1000 && b.counts().keys === 0; i++) step()
    expect(b.counts().keys).toBeGreaterThan(0)
    expect(b.counts().keys).toBeLessThan(n)
    drop()
    runUntil(n)
    expect(b.counts().keys).toBe(n)
  })
})

describe('when a joiner pulls again', () => {
  it('only after a part that was mostly news: a part mostly of events it had is a second, redundant stream', () => {
    const { a } = pair(30)
    const events: Event[] = a.live().sort((x, y) => x.seq - y.seq).filter(e => e.author === 'a')
    const sent: SyncMessage[] = []
    const b = new Replica({ id: 'b' }, {
      clock: { nowMs: () => T0 + 1000, monoMs: () => 0 },
      random: prng(3),
      signer: fakeSigner('b'),
      verifier: fakeVerifier,
      send: (_to, msg) => { sent.push(msg) },
      persist: r => { b.markDurable(r.n) }
    })
    const part = (from: number, to: number) => ({ type: 'events' as const, events: events.slice(from, to), through: [['a', from, to] as [string, number, number]], more: true })
    const pulls = (): number => sent.filter(m => m.type === 'vv').length
    b.receive('a', part(0, 10))
    expect(pulls()).toBe(1) // all new: pull the rest
    b.receive('a', part(2, 12)) // a stream offset by 2: 8 known, 2 new
    expect(pulls()).toBe(1)
    b.receive('a', part(12, 22)) // the first stream's next part: all new
    expect(pulls()).toBe(2)
    b.receive('a', part(12, 22)) // an exact copy: nothing new
    expect(pulls()).toBe(2)
    expect(b.counts().keys).toBe(22)
  })
})
