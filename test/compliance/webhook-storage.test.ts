// One contract, two implementations of webhook delivery storage
// (daemon/visibility/webhooks/storage.ts): the in-memory one the unit tests use
// and the daemon's, in its LevelDB store's own key space. Plus, for the LevelDB
// one: that key space is invisible to the replica's own reads and resets.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { LevelStore } from '../../daemon/store/level-store.js'
import { LevelDeliveryStorage } from '../../daemon/visibility/webhooks/level-storage.js'
import { MemoryDeliveryStorage, type DeliveryStorage } from '../../daemon/visibility/webhooks/storage.js'
import type { DeliveryRecord } from '../../daemon/visibility/webhooks/types.js'
import { decodeEvent } from '../../protocol/codec.js'

function record (hook: string, seq: number, state: DeliveryRecord['state'] = 'pending'): DeliveryRecord {
  return {
    hook, seq, id: `msg_n_${seq}`, type: 'published', key: `k${seq}`, bytes: 3, state, attempts: 0, createdAtMs: seq, nextAtMs: seq,
    lastAttemptAtMs: null, lastStatus: null, lastError: null, finishedAtMs: null, redeliveries: 0
  }
}

/** The contract: `reopen` gives the same storage after a restart (memory: the same object). */
async function contract (open: () => Promise<{ storage: DeliveryStorage, reopen: () => Promise<DeliveryStorage> }>): Promise<void> {
  const { storage, reopen } = await open()
  expect(await storage.load()).toEqual({ records: [], meta: undefined })
  const r2 = record('h1', 2)
  await storage.write([{ op: 'body', hook: 'h1', seq: 2, body: '{"a":2}' }, { op: 'put', record: r2 }, { op: 'meta', meta: { lastSeq: 2, nonce: 'abc' } }])
  await storage.write([{ op: 'body', hook: 'h2', seq: 10, body: '{"b":10}' }, { op: 'put', record: record('h2', 10) }])
  // A record is written as it is when written: a later change needs a new put.
  r2.attempts = 99
  await storage.write([{ op: 'put', record: { ...r2, attempts: 1, state: 'delivered' } }])
  await storage.write([{ op: 'body', hook: 'h1', seq: 3, body: 'x' }, { op: 'put', record: record('h1', 3) }])
  await storage.write([{ op: 'del', hook: 'h1', seq: 3 }])
  await storage.write([])
  const again = await reopen()
  const loaded = await again.load()
  expect(loaded.meta).toEqual({ lastSeq: 2, nonce: 'abc' })
  expect(loaded.records.sort((a, b) => a.seq - b.seq)).toEqual([{ ...record('h1', 2), attempts: 1, state: 'delivered' }, record('h2', 10)])
  expect(await again.body('h1', 2)).toBe('{"a":2}')
  expect(await again.body('h2', 10)).toBe('{"b":10}')
  expect(await again.body('h1', 3)).toBeUndefined()
  // Seq 2 of h1 and seq 10 of h2 do not collide however the keys sort (12-digit padding).
  expect(await again.body('h1', 10)).toBeUndefined()
}

describe('webhook delivery storage contract', () => {
  const dirs: string[] = []
  afterAll(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('MemoryDeliveryStorage', async () => {
    await contract(async () => {
      const storage = new MemoryDeliveryStorage()
      return { storage, reopen: async () => storage }
    })
  })

  it('LevelDeliveryStorage, in the LevelStore\'s own key space, beside the replica\'s keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mycel-hooks-'))
    dirs.push(dir)
    const location = join(dir, 'store')
    let store = new LevelStore({ location }, { decodeEvent })
    await store.open()
    await contract(async () => ({
      storage: new LevelDeliveryStorage(store.space('webhooks')),
      reopen: async () => {
        await store.close()
        store = new LevelStore({ location }, { decodeEvent })
        await store.open()
        return new LevelDeliveryStorage(store.space('webhooks'))
      }
    }))
    // The replica never sees them, and its reset (a federation switch) keeps them.
    expect((await store.loadSnapshot()).events).toEqual([])
    expect((await store.check()).ok).toBe(true)
    await store.resetReplicaState()
    expect((await new LevelDeliveryStorage(store.space('webhooks')).load()).records).toHaveLength(2)
    await store.close()
  })
})
