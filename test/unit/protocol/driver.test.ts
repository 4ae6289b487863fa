// ReplicaHost (protocol/driver.ts), what both drivers hold their replica through,
// on the simulator's event queue: it ticks after every input (inside it, or at the
// next turn), keeps one timer at the deadline tick() returns (capped), contains a
// failing tick if told how, pauses and stops, and group-commits what the replica
// persists. Virtual time throughout: no test waits.
import { describe, expect, it } from 'vitest'
import { ReplicaHost, type ReplicaHostInit, type ReplicaStore } from '../../../protocol/driver.js'
import type { Event } from '../../../protocol/event.js'
import type { PersistBatch, ReplicaApi } from '../../../protocol/replica-api.js'
import { EventQueue } from '../../../sim/event-queue.js'
import { queueTimers } from '../../../sim/timers.js'

/** A stand-in core: records its inputs and ticks; tick() returns `nextIn` ms from now; write() persists one batch. */
function stubCore (queue: EventQueue, persist: (b: PersistBatch) => void): ReplicaApi & { calls: string[], ticks: number[], nextIn: number, throwOnTick: boolean, durable: number, persistNow: () => void } {
  let batch = 0
  const core = {
    id: 'n0',
    calls: [] as string[],
    ticks: [] as number[],
    nextIn: 60_000,
    throwOnTick: false,
    durable: 0,
    write: (body: { key: string }) => {
      if (body.key === 'refused') throw new Error('refused')
      core.calls.push('write')
      persist({ n: ++batch, put: [], remove: [], winners: [], vv: [], highWater: 0n })
      return { body } as unknown as Event
    },
    lastBatchNumber: () => batch,
    markDurable: (n: number) => { core.calls.push(`durable ${n}`); core.durable = n },
    receive: () => { core.calls.push('receive') },
    peerUp: () => { core.calls.push('up') },
    peerDown: () => { core.calls.push('down') },
    tick: () => {
      core.ticks.push(queue.now())
      if (core.throwOnTick) throw new Error('core bug')
      return queue.now() + core.nextIn
    },
    persistNow: () => { persist({ n: ++batch, put: [], remove: [], winners: [], vv: [], highWater: 0n }) }
  }
  return core as unknown as ReturnType<typeof stubCore>
}

function setup (init: ReplicaHostInit = {}, store?: ReplicaStore, tickFailed?: (err: unknown) => void): { queue: EventQueue, host: ReplicaHost<ReturnType<typeof stubCore>>, core: ReturnType<typeof stubCore> } {
  const queue = new EventQueue()
  const host = new ReplicaHost(init, {
    timers: queueTimers(queue),
    store: store ?? { commit: (_b, done) => { queue.after(5, () => { done() }) } },
    tickFailed,
    replica: persist => stubCore(queue, persist)
  })
  return { queue, host, core: host.replica }
}

const body = { kind: 'put', key: 'k', digest: new Uint8Array(32), size: 1, props: {} } as const

describe('ReplicaHost', () => {
  it('ticks at start, then at the deadline tick() returns, capped', () => {
    const { queue, host, core } = setup({ tickDelayMsMax: 200 })
    core.nextIn = 50
    host.start()
    expect(core.ticks).toEqual([0]) // at once on start
    queue.runUntil(120)
    expect(core.ticks).toEqual([0, 50, 100])
    core.nextIn = 60_000 // a minute away: the cap applies
    queue.runUntil(1_000)
    expect(core.ticks).toEqual([0, 50, 100, 150, 350, 550, 750, 950])
  })

  it('every input ticks: inside it with "now", at the next turn of the timers with "soon" (one tick for a burst)', () => {
    const now = setup({ tickAfterInput: 'now' })
    now.host.start()
    now.queue.runUntil(10)
    for (const input of [() => { now.host.receive('p', { type: 'vv', vv: [] } as never) }, () => { now.host.peerUp('p') }, () => { now.host.peerDown('p') }, () => { now.host.write(body) }, () => { now.host.markDurable(1) }]) {
      const before = now.core.ticks.length
      input()
      expect(now.core.ticks.length).toBe(before + 1) // peerDown too: the daemon's used not to
    }
    const soon = setup({ tickAfterInput: 'soon' })
    soon.host.start()
    soon.queue.runUntil(10)
    const before = soon.core.ticks.length
    for (let i = 0; i < 100; i++) soon.host.receive('p', { type: 'vv', vv: [] } as never)
    soon.host.peerDown('p')
    expect(soon.core.ticks.length).toBe(before) // not inside the inputs
    soon.queue.runUntil(11)
    expect(soon.core.ticks).toEqual([0, 10]) // one tick for the burst, at the next turn (virtual time has not moved)
  })

  it('keeps one timer: an input moves it sooner, never later; no timer when tick() gives no deadline', () => {
    const { queue, host, core } = setup({ tickAfterInput: 'now' })
    core.nextIn = 1_000
    host.start()
    core.nextIn = 100
    host.peerUp('p') // re-armed for 100
    core.nextIn = 5_000
    host.peerUp('q') // a later deadline leaves the sooner timer
    queue.runUntil(100)
    expect(core.ticks).toEqual([0, 0, 0, 100])
    expect(queue.size()).toBe(2) // the timer at 5100, and the cancelled one at 1000 that will do nothing
    queue.runUntil(5_100)
    expect(core.ticks).toEqual([0, 0, 0, 100, 5_100])
    core.nextIn = Infinity
    host.peerUp('r')
    queue.runUntil(1_000_000)
    expect(core.ticks).toEqual([0, 0, 0, 100, 5_100, 5_100, 10_100])
  })

  it('a refused write changes nothing and is not followed by a tick; writeInBatch names the write\'s batch, not the tick\'s', () => {
    const { host, core } = setup({ tickAfterInput: 'now' })
    host.start()
    expect(() => host.write({ ...body, key: 'refused' })).toThrow('refused')
    expect(core.ticks).toEqual([0])
    const realTick = core.tick
    core.tick = () => { core.persistNow(); return realTick() } // the tick persists a batch of its own
    expect(host.writeInBatch(body).batch).toBe(1)
    expect(host.lastBatchNumber()).toBe(2)
  })

  it('paused: inputs reach the replica untouched and a due timer does nothing; start() ticks once. stop() cancels the timer', () => {
    const { queue, host, core } = setup({ tickAfterInput: 'now' })
    core.nextIn = 100
    host.start()
    host.pause()
    host.receive('p', { type: 'vv', vv: [] } as never)
    host.peerUp('p')
    queue.runUntil(500)
    expect(core.calls).toEqual(['receive', 'up'])
    expect(core.ticks).toEqual([0])
    host.start()
    expect(core.ticks).toEqual([0, 500])
    host.stop()
    expect(queue.size()).toBe(1) // cancelled: it stays in the queue and does nothing
    queue.runUntil(10_000)
    expect(core.ticks).toEqual([0, 500])
  })

  it('a tick that throws is contained when the driver says how (the next is a capped delay away); else it propagates', () => {
    const errors: unknown[] = []
    const { queue, host, core } = setup({ tickDelayMsMax: 20 }, undefined, err => errors.push(err))
    core.throwOnTick = true
    host.start()
    queue.runUntil(45)
    expect(core.ticks).toEqual([0, 20, 40])
    expect(errors).toHaveLength(3)
    const bare = setup({})
    bare.core.throwOnTick = true
    expect(() => { bare.host.start() }).toThrow('core bug')
  })

  it('group commit: the replica\'s batches go to the store, one commit in flight, and markDurable follows each commit', () => {
    const commits: number[][] = []
    const queue0 = { q: undefined as EventQueue | undefined }
    const { queue, host, core } = setup({ tickAfterInput: 'now' }, { commit: (bs, done) => { commits.push(bs.map(b => b.n)); (queue0.q as EventQueue).after(5, () => { done() }) } })
    queue0.q = queue
    host.start()
    host.write(body)
    host.write(body)
    host.write(body)
    expect(commits).toEqual([[1]])
    queue.runUntil(5)
    expect(core.calls.filter(c => c.startsWith('durable'))).toEqual(['durable 1'])
    expect(commits).toEqual([[1], [2, 3]])
    expect(host.backlog).toBe(0) // the stub's batches hold no events
    queue.runUntil(10)
    expect(core.durable).toBe(3)
    const ticksAfterDurable = core.ticks.filter(t => t === 5 || t === 10)
    expect(ticksAfterDurable).toEqual([5, 10]) // markDurable is an input: a tick follows it
  })
})
