// Replica.receiveSteps (issue #17): a large push or events message taken a few events at a time ends
// where receive() would, refused events capping coverage just the same, and a driver that stops
// early leaves nothing covered that was not taken.
import { describe, expect, it } from 'vitest'
import { signEvent } from '../../../protocol/codec.js'
import type { Event } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import type { SyncMessage } from '../../../protocol/messages.js'
import { Replica } from '../../../protocol/replica.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { prng } from '../../helpers/mem-cluster.js'

const NOW = 1_700_000_000_000

function replica (id: string): { r: Replica, sent: SyncMessage[] } {
  const sent: SyncMessage[] = []
  const r: Replica = new Replica({ id, maxBatchBytes: 1 << 22 }, {
    clock: { nowMs: () => NOW, monoMs: () => NOW },
    random: prng(11),
    signer: fakeSigner(id),
    verifier: fakeVerifier,
    send: (_to, m) => { sent.push(m) },
    persist: b => { r.markDurable(b.n) }
  })
  return { r, sent }
}

/** The events messages a source holding `writes` events of three authors sends a peer that has nothing. */
function catchUpMessages (writes: number): SyncMessage[] {
  const authors = ['a', 'b', 'c'].map(id => replica(id))
  for (let i = 0; i < writes; i++) authors[i % 3]?.r.write({ kind: 'put', key: `k${i % 500}`, digest: new Uint8Array(32).fill(i % 256), size: i, props: {} })
  const source = replica('s')
  for (const a of authors) {
    a.sent.length = 0
    a.r.receive('s', { type: 'vv', vv: [], reply: false })
    for (const m of a.sent) source.r.receive(a.r.id, m)
  }
  source.sent.length = 0
  source.r.receive('x', { type: 'vv', vv: [], reply: false })
  return source.sent.filter(m => m.type === 'events')
}

function forged (author: string, seq: number): Event {
  return signEvent({ v: 1, author, seq, stamp: makeStamp(NOW, 0), body: { kind: 'put', key: 'forged', digest: new Uint8Array(32), size: 1, props: {} } }, fakeSigner('mallory'))
}

function outcome (r: Replica): unknown {
  const { applied, rejected, duplicates, superseded, held } = r.stats()
  return { digest: Buffer.from(r.digest()).toString('hex'), vv: r.versionVector(), applied, rejected, duplicates, superseded, held }
}

describe('Replica.receiveSteps', () => {
  it('takes an events message in steps to the same state as receive(), a refused event capping coverage alike', () => {
    const messages = catchUpMessages(600)
    expect(messages.length).toBeGreaterThan(0)
    // A forged event in the middle of the first message: coverage of its author must stop below it.
    const first = messages[0] as Extract<SyncMessage, { type: 'events' }>
    const victim = first.events[Math.floor(first.events.length / 2)] as Event
    const tampered = { ...first, events: first.events.map(e => (e === victim ? forged(victim.author, victim.seq) : e)) }
    const input = [tampered, ...messages.slice(1)]
    for (const step of [1, 7, 100]) {
      const whole = replica('x')
      const stepped = replica('x')
      for (const r of [whole.r, stepped.r]) r.peerUp('s')
      let steps = 0
      for (const m of input) {
        whole.r.receive('s', m)
        for (const _ of stepped.r.receiveSteps('s', m, { events: step, bytes: 1 << 30 })) steps++
      }
      expect(steps).toBeGreaterThan(input.length)
      expect(outcome(stepped.r)).toEqual(outcome(whole.r))
      expect(stepped.r.versionVector().find(([a]) => a === victim.author)?.[1]).toBe(victim.seq - 1)
      expect(stepped.sent.map(m => m.type)).toEqual(whole.sent.map(m => m.type))
    }
  })

  it('takes a push in steps to the same state as receive()', () => {
    const events = (catchUpMessages(90)[0] as Extract<SyncMessage, { type: 'events' }>).events
    const push: SyncMessage = { type: 'push', events: [...events, forged('a', 9999)], ttl: 0 }
    const whole = replica('x')
    const stepped = replica('x')
    whole.r.receive('s', push)
    for (const _ of stepped.r.receiveSteps('s', push, { events: 10, bytes: 1 << 30 })) { /* every step */ }
    expect(outcome(stepped.r)).toEqual(outcome(whole.r))
    expect(stepped.r.stats().rejected).toBe(1)
  })

  it('stopped after its first step, an events message advances no coverage beyond what it took', () => {
    const [message] = catchUpMessages(300)
    const x = replica('x')
    x.r.peerUp('s')
    const steps = x.r.receiveSteps('s', message as SyncMessage, { events: 10, bytes: 1 << 30 })
    steps.next()
    steps.return()
    const covered = x.r.versionVector().reduce((n, [, seq]) => n + seq, 0)
    expect(covered).toBeLessThanOrEqual(10)
    expect(x.r.stats().applied).toBe(10)
  })

  it('a small message is one step: exactly receive()', () => {
    const x = replica('x')
    expect([...x.r.receiveSteps('s', { type: 'digest', digest: new Uint8Array(32).fill(1) }, { events: 4, bytes: 1 << 30 })].length).toBe(0)
    expect(x.sent.map(m => m.type)).toEqual(['vv'])
  })
})
