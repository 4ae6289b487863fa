// PeerLagTracker: lag from the peers' version vector reports.
import { describe, expect, it } from 'vitest'
import { PeerLagTracker } from '../../../daemon/visibility/peer-lag.js'
import type { VersionVectorEntries } from '../../../protocol/messages.js'

describe('PeerLagTracker', () => {
  it('is null before a report, then the vv gap both ways', () => {
    let ours: VersionVectorEntries = [['A', 5], ['B', 2]]
    const t = new PeerLagTracker({ ourDigest: () => new Uint8Array([1]), ourVv: () => ours })
    expect(t.lagOf('P')).toEqual({ peerId: 'P', lag: null, behind: null, ahead: null })
    t.note('P', { type: 'vv', vv: [['A', 3], ['C', 4]], reply: true })
    expect(t.lagOf('P')).toEqual({ peerId: 'P', lag: 2 + 2 + 4, behind: 4, ahead: 4 })
    ours = [['A', 5], ['B', 2], ['C', 4]]
    expect(t.lagOf('P').behind).toBe(0)
  })

  it('a digest equal to ours means in sync; a different one changes nothing', () => {
    const t = new PeerLagTracker({ ourDigest: () => new Uint8Array([7, 7]), ourVv: () => [['A', 9]] })
    t.note('P', { type: 'digest', digest: new Uint8Array([1]) })
    expect(t.lagOf('P').lag).toBeNull()
    t.note('P', { type: 'digest', digest: new Uint8Array([7, 7]) })
    expect(t.lagOf('P').lag).toBe(0)
    t.forget('P')
    expect(t.lagOf('P').lag).toBeNull()
  })
})
