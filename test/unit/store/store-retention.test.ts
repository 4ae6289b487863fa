// With a genesis the core keeps superseded versions (docs/federation.md); the
// LevelDB store must hold all of them, index only the winner, and stay
// consistent (check()) when a retroactive revoke brings an old version back.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LevelStore } from '../../../daemon/store/level-store.js'
import { decodeEvent, signEvent } from '../../../protocol/codec.js'
import { memberKey, revokeKey } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import type { Genesis } from '../../../protocol/invite.js'
import type { PersistBatch, ReplicaSnapshot } from '../../../protocol/replica-api.js'
import { Replica } from '../../../protocol/replica.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'

const genesis: Genesis = { founder: 'F', nonce: new Uint8Array(16).fill(1) }
const T0 = 1_700_000_000_000

describe('LevelStore with retained versions', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'mycel-retain-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  function replica (batches: PersistBatch[], snapshot?: ReplicaSnapshot): Replica {
    let t = T0
    return new Replica({ id: 'F', genesis }, {
      clock: { nowMs: () => (t += 10), monoMs: () => t },
      random: { float: () => 0.5, int: () => 0 },
      signer: fakeSigner('F'),
      verifier: fakeVerifier,
      send: () => {},
      persist: b => { batches.push(b) }
    }, snapshot)
  }

  it('stores every version, indexes the winner, and stays consistent across a retroactive revoke and a restart', async () => {
    const store = new LevelStore({ location: join(dir, 'store'), sync: false }, { decodeEvent })
    await store.open()
    const batches: PersistBatch[] = []
    const f = replica(batches)
    f.write({ kind: 'member', key: memberKey('W', '0'.repeat(32)), peer: 'W', role: 'writer' })
    const v1 = f.write({ kind: 'put', key: 'x', digest: new Uint8Array(32).fill(1), size: 1, props: {} })
    // W's newer version of x supersedes F's; F keeps v1 (retention).
    const w = signEvent({ v: 1, author: 'W', seq: 1, stamp: v1.stamp + makeStamp(1000, 0), body: { kind: 'put', key: 'x', digest: new Uint8Array(32).fill(2), size: 1, props: {} } }, fakeSigner('W'))
    f.receive('W', { type: 'push', events: [w], ttl: 0 })
    expect(f.get('x')?.author).toBe('W')
    await store.write(batches.splice(0))
    expect(await store.check()).toMatchObject({ ok: true })
    expect((await store.loadSnapshot()).events.filter(e => e.body.key === 'x').map(e => e.author).sort()).toEqual(['F', 'W'])

    // A revoke of W whose author had none of W's events: W's version goes, v1 is back.
    const revoke = signEvent({ v: 1, author: 'F', seq: 3, stamp: v1.stamp + 1n, body: { kind: 'revoke', key: revokeKey('W', '1'.repeat(32)), peer: 'W', seen: [] } }, fakeSigner('F'))
    f.receive('X', { type: 'push', events: [revoke], ttl: 0 })
    expect(f.get('x')?.author).toBe('F')
    await store.write(batches.splice(0))
    const report = await store.check()
    expect(report).toMatchObject({ ok: true, problems: [] })

    const snap = await store.loadSnapshot()
    expect(snap.events.filter(e => e.body.key === 'x').map(e => e.author)).toEqual(['F'])
    const again = replica([], snap)
    expect(again.get('x')?.author).toBe('F')
    expect(again.members()?.cutOf('W')).toMatchObject({ kind: 'revoke', seq: 0 })
    await store.close()
  })
})
