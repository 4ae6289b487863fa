// The contract every durable store of a replica's batches keeps, whether it is
// the daemon's LevelDB store or the simulator's virtual disk: a replica
// restarted from what the store gives back has exactly the state it had when
// its last batch became durable (same winners, same digest, same coverage, a
// clock no earlier). The same suite runs against both (storage.test.ts), so
// the simulator's verdicts hold for the daemon's disk too.

import fc from 'fast-check'
import { expect } from 'vitest'
import type { Event, EventBody } from '../../protocol/event.js'
import type { PersistBatch, ReplicaSnapshot } from '../../protocol/replica-api.js'
import { Replica } from '../../protocol/replica.js'
import { fakeSigner, fakeVerifier } from '../helpers/fake-crypto.js'
import { prng } from '../helpers/mem-cluster.js'

/** What the suite needs of a store: durable writes, a snapshot, and a restart. */
export interface DurableStore {
  /** Resolves once every batch given is durable. */
  write: (batches: PersistBatch[]) => Promise<void>
  snapshot: () => Promise<ReplicaSnapshot>
  /** Closes and opens the store again, as a process restart would. */
  reopen: () => Promise<void>
}

type Op = { kind: 'put', key: number } | { kind: 'delete', key: number } | { kind: 'remote', key: number, del: boolean }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.nat(7) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(7) }),
  fc.record({ kind: fc.constant('remote' as const), key: fc.nat(7), del: fc.boolean() })
)

function body (key: number, del: boolean, n: number): EventBody {
  return del ? { kind: 'delete', key: `k${key}` } : { kind: 'put', key: `k${key}`, digest: new Uint8Array(32).fill(n & 255), size: n, props: {} }
}

function replica (id: string, persist: (b: PersistBatch) => void, now: () => number, snapshot?: ReplicaSnapshot): Replica {
  const r: Replica = new Replica({ id, pushFanout: 0 }, {
    clock: { nowMs: now, monoMs: now },
    random: prng(3),
    signer: fakeSigner(id),
    verifier: fakeVerifier,
    send: () => {},
    persist: b => { persist(b); r.markDurable(b.n) }
  }, snapshot)
  return r
}

const ids = (events: Event[]): string[] => events.map(e => Buffer.from(e.id).toString('hex')).sort()

/**
 * Property: for any mix of local writes, overwrites, deletes and events from
 * another author, a replica restarted from the store equals the original.
 */
export async function checkRestartEqualsOriginal (open: () => Promise<DurableStore>, numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.nat(3), async (ops, restartEvery) => {
    const store = await open()
    let now = 1_700_000_000_000
    const batches: PersistBatch[] = []
    const a = replica('a', b => batches.push(b), () => now)
    const other = replica('b', () => {}, () => now)
    for (const [i, o] of ops.entries()) {
      now += 1 + (i % 3)
      if (o.kind === 'remote') a.receive('b', { type: 'push', events: [other.write(body(o.key, o.del, i))], ttl: 0 })
      else a.write(body(o.key, o.kind === 'delete', i))
      await store.write(batches.splice(0))
      if (restartEvery > 0 && i % (restartEvery + 2) === 0) await store.reopen()
    }
    await store.reopen()
    const snap = await store.snapshot()
    const restarted = replica('a', () => {}, () => now, snap)
    expect(Buffer.from(restarted.digest()).toString('hex')).toBe(Buffer.from(a.digest()).toString('hex'))
    expect(ids(restarted.live())).toEqual(ids(a.live()))
    expect(restarted.counts()).toEqual(a.counts())
    expect([...restarted.versionVector()].sort()).toEqual([...a.versionVector()].sort())
    expect(restarted.highWater() >= a.highWater()).toBe(true)
    // Nothing lingers: the store holds exactly the winners (storage is O(keys)).
    expect(ids(snap.events)).toEqual(ids([...a.live(), ...tombstones(a)]))
  }), { numRuns })
}

function tombstones (r: Replica): Event[] {
  const out: Event[] = []
  for (let k = 0; k < 8; k++) {
    const w = r.get(`k${k}`)
    if (w !== undefined && w.body.kind === 'delete') out.push(w)
  }
  return out
}
