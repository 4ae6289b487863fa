// The contract every durable store of a replica's batches keeps, whether it is
// the daemon's LevelDB store or the simulator's virtual disk: a replica
// restarted from what the store gives back has exactly the state it had when
// its last batch became durable (same winners, same digest, same coverage, a
// clock no earlier, the same membership), and the store holds exactly what the
// batches put and did not remove. The same suite runs against both stores
// (storage.test.ts), in both of the core's modes, so the simulator's verdicts
// hold for the daemon's disk too:
//
//   open mesh   one version per key: the store holds exactly the winners (O(keys))
//   federation  a genesis, grants, superseded versions retained until stable, and
//               a revoke by an admin who saw none of the revoked writer's events,
//               which voids them retroactively: their stored versions are removed
//               and the versions they had superseded win again

import fc from 'fast-check'
import { expect } from 'vitest'
import { memberKey, revokeKey, type Event, type EventBody, type NewEventBody } from '../../protocol/event.js'
import type { Genesis } from '../../protocol/invite.js'
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

export type StorageMode = 'open mesh' | 'federation'

/** `a` is the replica under test; `b` another writer; in a federation `a` founded it and `c` is an admin who never hears from `b`. */
type Op =
  | { kind: 'put', key: number }
  | { kind: 'delete', key: number }
  | { kind: 'remote', key: number, del: boolean }
  | { kind: 'revoke' }

const local = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: fc.nat(7) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(7) })
)
const remote = fc.record({ kind: fc.constant('remote' as const), key: fc.nat(7), del: fc.boolean() })
const OPS: Record<StorageMode, fc.Arbitrary<Op>> = {
  'open mesh': fc.oneof(local, remote),
  // Remote writes weigh more, so b's versions supersede a's (which a retains) before a revoke voids them.
  federation: fc.oneof({ arbitrary: local, weight: 4 }, { arbitrary: remote, weight: 4 }, { arbitrary: fc.constant({ kind: 'revoke' as const }), weight: 1 })
}

const GENESIS: Genesis = { founder: 'a', nonce: new Uint8Array(16).fill(7) }

function body (key: number, del: boolean, n: number): EventBody {
  return del ? { kind: 'delete', key: `k${key}` } : { kind: 'put', key: `k${key}`, digest: new Uint8Array(32).fill(n & 255), size: n, props: {} }
}

function replica (id: string, mode: StorageMode, persist: (b: PersistBatch) => void, now: () => number, snapshot?: ReplicaSnapshot): Replica {
  const r: Replica = new Replica({ id, pushFanout: 0, genesis: mode === 'federation' ? GENESIS : undefined }, {
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

/** What the store must hold after these batches: every event put and not removed since, by (author, seq). */
function foldBatches (model: Map<string, Event>, batches: PersistBatch[]): void {
  for (const b of batches) {
    for (const r of b.remove) model.delete(`${r.author}/${r.seq}`)
    for (const e of b.put) model.set(`${e.author}/${e.seq}`, e)
  }
}

/** The other members' replicas: b writes, c (an admin, federation only) revokes b without having seen b's events. */
function others (a: Replica, mode: StorageMode, now: () => number): { write: (body: NewEventBody) => Event, revoke: () => Event | undefined } {
  const b = replica('b', mode, () => {}, now)
  if (mode === 'open mesh') return { write: body => b.write(body), revoke: () => undefined }
  const c = replica('c', mode, () => {}, now)
  const grants = [
    a.write({ kind: 'member', key: memberKey('b', '1'.repeat(32)), peer: 'b', role: 'writer' }),
    a.write({ kind: 'member', key: memberKey('c', '2'.repeat(32)), peer: 'c', role: 'admin' })
  ]
  for (const r of [b, c]) r.receive('a', { type: 'push', events: grants, ttl: 0 })
  let revoked = false
  return {
    write: body => b.write(body),
    revoke: () => {
      if (revoked) return undefined
      revoked = true
      return c.write({ kind: 'revoke', key: revokeKey('b', '3'.repeat(32)), peer: 'b' })
    }
  }
}

/**
 * Property: for any mix of local writes, overwrites, deletes, events from
 * another writer and (in a federation) a retroactive revoke of it, a replica
 * restarted from the store equals the original, and the store holds exactly
 * what the batches left in it.
 */
export async function checkRestartEqualsOriginal (open: () => Promise<DurableStore>, numRuns: number, mode: StorageMode = 'open mesh'): Promise<void> {
  let revokes = 0
  let retained = 0
  await fc.assert(fc.asyncProperty(fc.array(OPS[mode], { minLength: 1, maxLength: 40 }), fc.nat(3), async (ops, restartEvery) => {
    const store = await open()
    let now = 1_700_000_000_000
    const batches: PersistBatch[] = []
    const model = new Map<string, Event>()
    const a = replica('a', mode, b => batches.push(b), () => now)
    const other = others(a, mode, () => now)
    for (const [i, o] of ops.entries()) {
      now += 1 + (i % 3)
      if (o.kind === 'remote') a.receive('b', { type: 'push', events: [other.write(body(o.key, o.del, i))], ttl: 0 })
      else if (o.kind === 'revoke') { const r = other.revoke(); if (r !== undefined) { revokes++; a.receive('c', { type: 'push', events: [r], ttl: 0 }) } }
      else a.write(body(o.key, o.kind === 'delete', i))
      foldBatches(model, batches)
      await store.write(batches.splice(0))
      if (restartEvery > 0 && i % (restartEvery + 2) === 0) await store.reopen()
    }
    await store.reopen()
    const snap = await store.snapshot()
    const restarted = replica('a', mode, () => {}, () => now, snap)
    expect(Buffer.from(restarted.digest()).toString('hex')).toBe(Buffer.from(a.digest()).toString('hex'))
    expect(ids(restarted.live())).toEqual(ids(a.live()))
    expect(restarted.counts()).toEqual(a.counts())
    expect([...restarted.versionVector()].sort()).toEqual([...a.versionVector()].sort())
    expect(restarted.highWater() >= a.highWater()).toBe(true)
    // The store holds exactly what the batches put and did not remove...
    expect(ids(snap.events)).toEqual(ids([...model.values()]))
    const winners = ids([...a.live(), ...tombstones(a)])
    if (mode === 'open mesh') {
      // ...which in an open mesh is exactly the winners (storage is O(keys)).
      expect(ids(snap.events)).toEqual(winners)
    } else {
      // ...which in a federation is the winners and the versions they superseded (retained until
      // stable), and nothing of b once c's revoke voided it.
      expect(ids(snap.events)).toEqual(expect.arrayContaining(winners))
      if (snap.events.length > winners.length + a.live().filter(e => !/^k\d$/.test(e.body.key)).length) retained++
      const cut = a.members()?.cutOf('b')
      expect(restarted.members()?.cutOf('b')).toEqual(cut)
      if (cut !== undefined) expect(snap.events.filter(e => e.author === 'b')).toEqual([])
      for (const peer of ['a', 'b', 'c']) expect(restarted.members()?.roleNow(peer)).toBe(a.members()?.roleNow(peer))
    }
  }), { numRuns })
  // A federation run that never revoked would not have checked what it claims.
  if (mode === 'federation' && numRuns >= 20) {
    expect(revokes).toBeGreaterThan(0)
    expect(retained).toBeGreaterThan(0)
  }
}

function tombstones (r: Replica): Event[] {
  const out: Event[] = []
  for (let k = 0; k < 8; k++) {
    const w = r.get(`k${k}`)
    if (w !== undefined && w.body.kind === 'delete') out.push(w)
  }
  return out
}
