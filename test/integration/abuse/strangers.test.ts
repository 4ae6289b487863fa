// Issue #17, attack 1, against real daemons: idle strangers (hand-built libp2p clients that connect
// and never prove membership) must not keep a new site from joining, and are hung up on once their
// deadline passes. Timings are polled against generous deadlines; nothing waits on luck.
import type { Libp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { Node, until } from '../../helpers/daemons.js'
import { idleStranger } from '../../helpers/raw-peer.js'

interface Slots { members: number, strangers: number, closedAtDeadline: number, evicted: number, refused: number }
interface Status { peers: Array<{ peerId: string }>, stats: { connections?: Slots, shed: Record<string, { total: number }> } }

describe('abuse: idle strangers', () => {
  const nodes: Node[] = []
  let strangers: Libp2p[] = []
  afterEach(async () => {
    await Promise.all(strangers.map(async s => { await s.stop() }))
    strangers = []
    await Promise.all(nodes.splice(0).map(async n => { await n.destroy() }))
  })

  async function connect (addr: string, count: number): Promise<Libp2p[]> {
    const out: Libp2p[] = []
    for (let i = 0; i < count; i++) {
      try {
        out.push(await idleStranger(addr))
      } catch {
        // refused: the daemon had no slot for it
      }
    }
    return out
  }
  const connectedCount = (): number => strangers.filter(s => s.getConnections().length > 0).length

  it('14 idle strangers fill every stranger slot; a new site\'s daemon --join still succeeds: the oldest idle one makes room', async () => {
    // Every stranger slot taken (14 in all, none per-IP bound on loopback), with a deadline long
    // enough that the join has to make room rather than wait for the strangers to time out.
    const a = await Node.create({ maxStrangerConnections: 14, maxStrangerConnectionsPerIp: 64, strangerDeadlineMs: 60_000 })
    nodes.push(a)
    await a.start()
    const addr = a.ready?.listen[0] ?? ''
    strangers = await connect(addr, 14)
    expect(strangers.length).toBe(14)
    await until('A counts 14 strangers', async () => (await a.api<Status>('GET', '/v1/status')).body.stats.connections?.strangers === 14)

    const joiner = await Node.create()
    nodes.push(joiner)
    const token = await a.invite()
    await joiner.start(['--join', token], 60_000)
    await until('A and the joiner have a session', async () => (await a.api<Status>('GET', '/v1/status')).body.peers.some(p => p.peerId === joiner.ready?.peerId))
    const slots = (await a.api<Status>('GET', '/v1/status')).body.stats.connections as Slots
    expect(slots.evicted).toBeGreaterThanOrEqual(1)
    expect(slots.strangers).toBeLessThanOrEqual(14)
  })

  it('a stranger idle past the deadline is disconnected, and per IP only a share of the slots is given', async () => {
    const a = await Node.create({ strangerDeadlineMs: 2_000 })
    nodes.push(a)
    await a.start()
    const addr = a.ready?.listen[0] ?? ''
    strangers = await connect(addr, 12)
    // All from 127.0.0.1: at most 8 at a time (the per-IP share), the others refused or pushing out older ones.
    expect(connectedCount()).toBeGreaterThanOrEqual(1)
    expect(connectedCount()).toBeLessThanOrEqual(8)
    await until('every idle stranger is hung up on', () => connectedCount() === 0, 30_000)
    const status = (await a.api<Status>('GET', '/v1/status')).body
    expect(status.stats.connections?.closedAtDeadline).toBeGreaterThanOrEqual(1)
    expect(status.stats.connections?.strangers).toBe(0)
    expect(status.stats.shed['stranger-connections']?.total).toBeGreaterThanOrEqual(1)
    // And A still admits: a member's join works after the attack.
    const joiner = await Node.create()
    nodes.push(joiner)
    await joiner.start(['--join', await a.invite()], 60_000)
  })

  it('strangers that reconnect as soon as they are dropped do not keep a join out', async () => {
    const a = await Node.create({ strangerDeadlineMs: 2_000 })
    nodes.push(a)
    await a.start()
    const addr = a.ready?.listen[0] ?? ''
    let running = true
    const churn = (async () => {
      while (running) {
        strangers = strangers.filter(s => s.getConnections().length > 0)
        if (strangers.length < 16) strangers.push(...await connect(addr, 16 - strangers.length))
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    try {
      await until('the strangers hold their slots', async () => ((await a.api<Status>('GET', '/v1/status')).body.stats.connections?.strangers ?? 0) >= 8)
      const joiner = await Node.create()
      nodes.push(joiner)
      await joiner.start(['--join', await a.invite()], 60_000)
    } finally {
      running = false
      await churn
    }
  })
})
