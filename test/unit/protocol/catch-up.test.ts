// Catch-up when many peers come up at once (a partition heal).
import { describe, expect, it } from 'vitest'
import { CatchUpQueue } from '../../../protocol/catch-up.js'
import type { SyncMessage } from '../../../protocol/messages.js'
import { Replica } from '../../../protocol/replica.js'
import { fakeSigner, fakeVerifier } from '../../helpers/fake-crypto.js'
import { prng } from '../../helpers/mem-cluster.js'

describe('CatchUpQueue', () => {
  it('lets the first peer up go at once and spaces the rest', () => {
    const q = new CatchUpQueue({ spacingMs: 250, expireMs: 1000 })
    expect(q.up('a', 0)).toBe(true)
    expect(q.up('b', 0)).toBe(false)
    expect(q.up('c', 10)).toBe(false)
    expect(q.nextMs()).toBe(250)
    expect(q.due(249)).toBeUndefined()
    expect(q.due(250)).toBe('b')
    expect(q.due(400)).toBeUndefined()
    expect(q.due(500)).toBe('c')
    expect(q.nextMs()).toBe(Infinity)
  })

  it('drops a peer that went down and one that waited longer than expireMs', () => {
    const q = new CatchUpQueue({ spacingMs: 400, expireMs: 1000 })
    q.up('a', 0)
    q.up('b', 0)
    q.up('c', 0)
    q.up('d', 0)
    q.down('b')
    expect(q.due(400)).toBe('c')
    expect(q.due(800)).toBe('d')
    q.up('e', 900) // waits behind the spacing until 1200, then is still within 1000 ms of coming up
    q.up('f', 900)
    expect(q.due(1200)).toBe('e')
    expect(q.due(2000)).toBeUndefined() // f came up at 900: expired
    expect(q.nextMs()).toBe(Infinity)
  })

  it('a peer coming up alone later goes at once again', () => {
    const q = new CatchUpQueue({ spacingMs: 250, expireMs: 1000 })
    expect(q.up('a', 0)).toBe(true)
    expect(q.up('b', 5000)).toBe(true)
  })
})

describe('a replica when many peers come up at once (a partition heal)', () => {
  it('starts one round at once and the others one per spacing, within one anti-entropy interval', () => {
    let mono = 0
    const digests: Array<[number, string]> = []
    const r = new Replica({ id: 'x', antiEntropyIntervalMs: 1000, catchUpSpacingMs: 250 }, {
      clock: { nowMs: () => 1_700_000_000_000 + mono, monoMs: () => mono },
      random: prng(1),
      signer: fakeSigner('x'),
      verifier: fakeVerifier,
      send: (to: string, m: SyncMessage) => { if (m.type === 'digest') digests.push([mono, to]) },
      persist: b => { r.markDurable(b.n) }
    })
    mono = 10 // before the first regular round (jittered around 1000 ms)
    for (const p of ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8']) r.peerUp(p)
    expect(digests).toEqual([[10, 'p1']])
    // Drive the replica's timer the way a driver does: wake at nextTickMs.
    while (mono < 1300) {
      mono = Math.min(r.nextTickMs(), 1300)
      r.tick()
    }
    // p2..p5 at 260, 510, 760 and 1010; p6..p8 came up at 10 and would wait past one interval: the
    // regular rounds (one per interval, to a random peer) are left to reach them.
    const regular = r.stats().antiEntropyRounds
    const catchUps = digests.filter(([at]) => at === 10 || at % 250 === 10)
    expect(catchUps).toEqual([[10, 'p1'], [260, 'p2'], [510, 'p3'], [760, 'p4'], [1010, 'p5']])
    expect(digests.length).toBe(catchUps.length + regular)
  })
})
