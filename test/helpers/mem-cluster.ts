// A small in-memory harness: N replicas wired through the injected ports, with
// a message pool the test delivers in any order, with loss and duplication.
// Persistence is immediate (every batch durable at once). The simulator
// (sim/) is the full-featured version of this.
import type { Event, NewEventBody } from '../../protocol/event.js'
import type { SyncMessage } from '../../protocol/messages.js'
import { Replica } from '../../protocol/replica.js'
import type { ReplicaInit } from '../../protocol/replica-api.js'
import { fakeSigner, fakeVerifier } from './fake-crypto.js'

export interface InFlight { from: string, to: string, message: SyncMessage }

/** mulberry32: tiny seeded PRNG for tests. */
export function prng (seed: number): { float: () => number, int: (n: number) => number } {
  let a = seed >>> 0
  const float = (): number => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { float, int: (n: number) => Math.floor(float() * n) }
}

export class MemCluster {
  readonly replicas: Replica[] = []
  readonly pool: InFlight[] = []
  readonly acked: Event[] = []
  now = 1_700_000_000_000
  readonly skew: number[] = []
  private readonly rng

  constructor (n: number, seed = 1, init: Partial<ReplicaInit> = {}, members = false) {
    this.rng = prng(seed)
    const ids = Array.from({ length: n }, (_, i) => `n${i}`)
    for (const [i, id] of ids.entries()) {
      this.skew.push(0)
      const replica: Replica = new Replica({ id, ...init }, {
        clock: { nowMs: () => this.now + this.skew[i], monoMs: () => this.now },
        random: this.rng,
        signer: fakeSigner(id),
        verifier: fakeVerifier,
        send: (to, message) => this.pool.push({ from: id, to, message }),
        persist: batch => queueMicrotask(() => replica.markDurable(batch.n)),
        members: members ? () => ids : undefined
      })
      this.replicas.push(replica)
    }
  }

  ids (): string[] { return this.replicas.map(r => r.id) }

  connectAll (): void {
    for (const a of this.replicas) for (const b of this.replicas) if (a !== b) a.peerUp(b.id)
  }

  async write (i: number, body: NewEventBody): Promise<Event> {
    const e = this.replicas[i].write(body)
    await Promise.resolve() // let the durability microtask run
    this.acked.push(e)
    return e
  }

  byId (id: string): Replica | undefined { return this.replicas.find(r => r.id === id) }

  /** Delivers every message in flight (and what they cause), in random order, with optional loss/dup. */
  deliver (opts: { loss?: number, dup?: number, maxSteps?: number } = {}): number {
    let steps = 0
    const max = opts.maxSteps ?? 1_000_000
    while (this.pool.length > 0 && steps < max) {
      const k = this.rng.int(this.pool.length)
      const [m] = this.pool.splice(k, 1)
      steps++
      if (opts.loss !== undefined && this.rng.float() < opts.loss) continue
      if (opts.dup !== undefined && this.rng.float() < opts.dup) this.pool.push(m)
      this.byId(m.to)?.receive(m.from, m.message)
    }
    return steps
  }

  /** Advances virtual time and ticks every replica. */
  advance (ms: number): void {
    this.now += ms
    for (const r of this.replicas) r.tick()
  }

  digestsEqual (): boolean {
    const d = this.replicas.map(r => Buffer.from(r.digest()).toString('hex'))
    return d.every(x => x === d[0])
  }

  /** Ticks and delivers until every replica has the same digest; returns rounds taken. */
  async converge (maxRounds = 200, opts: { loss?: number, dup?: number } = {}): Promise<number> {
    for (let round = 0; round < maxRounds; round++) {
      await Promise.resolve()
      this.deliver(opts)
      if (this.digestsEqual() && this.pool.length === 0) return round
      this.advance(1100)
    }
    throw new Error('cluster did not converge')
  }
}
