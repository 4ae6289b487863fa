// Connection slots (issue #17) on a fake clock and fake raw connections: strangers bounded per IP and
// in all, the oldest idle one past its grace making room, joins keeping their slot, members never
// counted, and the deadline closing whoever did not prove itself.
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, MultiaddrConnection } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { ConnectionSlots } from '../../../daemon/net/slots.js'

interface FakeConn { maConn: MultiaddrConnection, aborted: boolean }

function fakeConn (ip: string, port: number): FakeConn {
  const listeners: Array<() => void> = []
  const c: FakeConn = {
    aborted: false,
    maConn: {
      remoteAddr: multiaddr(`/ip4/${ip}/tcp/${port}`),
      addEventListener: (_: string, fn: () => void) => { listeners.push(fn) },
      abort: () => { c.aborted = true; for (const fn of listeners) fn() }
    } as unknown as MultiaddrConnection
  }
  return c
}

function setup (members: string[] = []) {
  let now = 0
  const shed: string[] = []
  const slots = new ConnectionSlots(
    { maxStrangers: 4, maxStrangersPerIp: 2, strangerDeadlineMs: 5_000, strangerGraceMs: 1_000 },
    { isMember: p => members.includes(p), now: () => now, shed: (_p, why) => { shed.push(why) } }
  )
  return { slots, shed, members, advance: (ms: number) => { now += ms } }
}

describe('ConnectionSlots', () => {
  it('bounds strangers per IP: a newcomer takes the oldest idle slot past its grace, else is refused', () => {
    const { slots, shed, advance } = setup()
    const a = fakeConn('10.0.0.1', 1)
    const b = fakeConn('10.0.0.1', 2)
    expect(slots.denyInbound(a.maConn)).toBe(false)
    expect(slots.denyInbound(b.maConn)).toBe(false)
    // Third from the same IP while both are young: refused.
    expect(slots.denyInbound(fakeConn('10.0.0.1', 3).maConn)).toBe(true)
    advance(1_500)
    const c = fakeConn('10.0.0.1', 4)
    expect(slots.denyInbound(c.maConn)).toBe(false)
    expect(a.aborted).toBe(true) // the oldest made room
    expect(b.aborted).toBe(false)
    expect(shed).toEqual(['refused', 'evicted'])
    expect(slots.stats).toMatchObject({ strangers: 2, evicted: 1, refused: 1 })
  })

  it('bounds strangers in all, whatever their IPs, and members never count', () => {
    const { slots, advance } = setup(['member'])
    const conns = [1, 2, 3, 4].map(i => fakeConn(`10.0.0.${i}`, 1))
    for (const c of conns) expect(slots.denyInbound(c.maConn)).toBe(false)
    // A member's connection is a stranger until Noise proves its peer id; then it stops counting.
    const m = fakeConn('10.0.0.9', 1)
    advance(1_500)
    expect(slots.denyInbound(m.maConn)).toBe(false) // made room by evicting the oldest stranger
    slots.encrypted('member', m.maConn)
    expect(slots.stats).toMatchObject({ members: 1, strangers: 3 })
    expect(slots.denyInbound(fakeConn('10.0.0.5', 1).maConn)).toBe(false)
    expect(slots.stats).toMatchObject({ members: 1, strangers: 4 })
  })

  it('closes strangers at the deadline, but not one in a join, nor one admitted meanwhile', () => {
    const { slots, members, advance } = setup()
    const idle = fakeConn('10.0.0.1', 1)
    const joining = fakeConn('10.0.0.2', 1)
    const admitted = fakeConn('10.0.0.3', 1)
    for (const c of [idle, joining, admitted]) slots.denyInbound(c.maConn)
    slots.encrypted('x', idle.maConn)
    slots.encrypted('j', joining.maConn)
    slots.encrypted('new-member', admitted.maConn)
    const release = slots.holdForJoin({ remoteAddr: joining.maConn.remoteAddr } as unknown as Connection)
    members.push('new-member')
    advance(5_000)
    slots.sweep()
    expect([idle.aborted, joining.aborted, admitted.aborted]).toEqual([true, false, false])
    // The join ends (refused): its stranger gets one grace, then goes.
    release()
    slots.sweep()
    expect(joining.aborted).toBe(false)
    advance(1_000)
    slots.sweep()
    expect(joining.aborted).toBe(true)
    expect(slots.stats).toMatchObject({ members: 1, strangers: 0, closedAtDeadline: 2 })
  })

  it('a joiner cannot be pushed out while its join runs, even by a flood of newcomers', () => {
    const { slots, advance } = setup()
    const joiner = fakeConn('10.0.0.1', 1)
    slots.denyInbound(joiner.maConn)
    slots.holdForJoin({ remoteAddr: joiner.maConn.remoteAddr } as unknown as Connection)
    advance(2_000)
    const first = fakeConn('10.0.0.1', 2)
    expect(slots.denyInbound(first.maConn)).toBe(false)
    advance(2_000)
    for (let port = 3; port < 10; port++) slots.denyInbound(fakeConn('10.0.0.1', port).maConn)
    expect(joiner.aborted).toBe(false)
    expect(first.aborted).toBe(true)
  })

  it('hosts that keep every slot younger than its grace cannot keep out a newcomer from another host', () => {
    const { slots, shed, advance } = setup()
    // Two hosts fill all four slots, two each, and their connections are all brand new.
    const flood = ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2'].map((ip, i) => fakeConn(ip, i + 1))
    for (const c of flood) expect(slots.denyInbound(c.maConn)).toBe(false)
    // A newcomer from a third host holds none: it takes the oldest slot of a host holding the most.
    const joiner = fakeConn('10.0.0.3', 1)
    expect(slots.denyInbound(joiner.maConn)).toBe(false)
    expect(flood.map(c => c.aborted)).toEqual([true, false, false, false])
    // The hosts now hold 1, 2 and 1: a second from the third host would hold no fewer than the
    // busiest after the swap, so it is refused, and the joiner's own slot stays.
    expect(slots.denyInbound(fakeConn('10.0.0.3', 2).maConn)).toBe(true)
    // Nor can the flooding hosts take it back: each holds as many as the joiner's host or more.
    expect(slots.denyInbound(fakeConn('10.0.0.1', 9).maConn)).toBe(true)
    expect(joiner.aborted).toBe(false)
    expect(shed).toEqual(['evicted', 'refused', 'refused'])
    // Long past every grace, a newcomer from a busier host takes a slot of its own host or of one as
    // busy, never the joiner's (its host holds fewer), however long the joiner takes to start its join.
    advance(3_000)
    const later = fakeConn('10.0.0.2', 9)
    expect(slots.denyInbound(later.maConn)).toBe(false)
    expect(joiner.aborted).toBe(false)
    expect(flood.map(c => c.aborted)).toEqual([true, false, true, false])
  })
})
