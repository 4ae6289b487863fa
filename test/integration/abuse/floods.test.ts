// Issue #17, attacks 2 and 3, against real daemons: a member that misbehaves (a hand-built libp2p
// client admitted with a token) floods A. A push of 15 000 badly signed events must not stop A's API
// from answering (the bound: 200 ms), write thousands of log lines, or leave A's memory
// grown; 10 000 events of ~15 KiB stamped far ahead must keep A's RSS under a stated bound.
//
// Robust on a loaded machine: the flood's end is awaited through A's own counters, RSS is polled
// against a deadline, and the 200 ms bound is held by 9 answers in 10 (an idle daemon here has its
// own rare stalls of that size when the machine is busy); no answer may take a second.
import type { Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { inviteFromText } from '../../../protocol/invite.js'
import type { SyncMessage } from '../../../protocol/messages.js'
import { badlySigned, futureStamped, pushes, sendAll, sendAllOrWhy, YEAR_MS } from '../../helpers/attacker.js'
import { Node, until } from '../../helpers/daemons.js'
import { peakRssMib, percentile, rssMib, StatusProbe } from '../../helpers/probes.js'
import { Rogue } from '../../helpers/rogue.js'

interface Stats {
  rejected: number
  held: number
  heldNow: number
  heldBytes: number
  heldShed: number
  tooFarAhead: number
  net: { bans: number }
  gate: { hostileEvents: number }
  shed: Record<string, { total: number, offenders: Array<{ peer: string, count: number }> }>
  eventLoop: { maxMs: number }
}
interface Status { peers: Array<{ peerId: string }>, stats: Stats }

/** The bound on an API answer while a flood is processed. */
const STATUS_BOUND_MS = 200
/** Peak RSS a daemon may reach while 10 000 events of ~15 KiB stamped ahead arrive (it reached 474 MiB before #17). */
const FLOOD_RSS_BOUND_MIB = 300

describe('abuse: floods from a member', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => { for (const f of cleanup.splice(0).reverse()) await f() })

  async function status (n: Node): Promise<Status> {
    return (await n.api<Status>('GET', '/v1/status')).body
  }

  /** A founder, counting its log lines, and a rogue writer with a sync session to it; the flood is built first. */
  async function founderAndRogue (flood: (rogue: Rogue, founder: string) => SyncMessage[]): Promise<{ a: Node, rogue: Rogue, stream: Stream, messages: SyncMessage[], lines: () => number }> {
    const a = await Node.create()
    cleanup.push(async () => { await a.destroy() })
    await a.start()
    let lines = 0
    a.proc?.stderr?.on('data', (chunk: Buffer) => { for (const b of chunk) if (b === 10) lines++ })
    const rogue = await Rogue.create()
    cleanup.push(async () => { await rogue.stop() })
    // Built before the session: signing thousands of events holds the rogue's loop, and a peer that
    // does not answer pings meanwhile is hung up on.
    const messages = flood(rogue, a.ready?.peerId ?? '')
    const addr = a.ready?.listen[0] ?? ''
    expect(await rogue.join(inviteFromText(await a.invite()), addr)).toMatchObject({ ok: true })
    const { stream, welcome } = await rogue.session(addr, a.ready?.federation ?? '')
    expect(welcome.ok).toBe(true)
    await until('the rogue\'s session is up', async () => (await status(a)).peers.some(p => p.peerId === rogue.peerId))
    return { a, rogue, stream, messages, lines: () => lines }
  }

  it('a push of 15 000 badly signed events: the API keeps answering, a few log lines, the sender cut off, memory back to where it was', async () => {
    const { a, rogue, stream, messages, lines } = await founderAndRogue((_r, founder) => pushes(badlySigned(founder, 15_000, 1_000_000)))
    expect(messages.length).toBe(1)
    await new Promise(resolve => setTimeout(resolve, 2_000))
    const before = await rssMib(a)
    const linesBefore = lines()
    const probe = new StatusProbe(a)
    await sendAll(stream, messages)
    await until('A refused the forgeries and cut the sender off', async () => {
      const s = await status(a)
      return s.stats.rejected > 0 && !s.peers.some(p => p.peerId === rogue.peerId)
    }, 60_000)
    await new Promise(resolve => setTimeout(resolve, 500))
    const samples = (await probe.stop()).map(s => s.ms)
    const s = await status(a)
    console.log(`bad push: ${samples.length} status answers, p50 ${percentile(samples, 0.5).toFixed(0)} ms, p90 ${percentile(samples, 0.9).toFixed(0)} ms, max ${Math.max(...samples).toFixed(0)} ms; ${s.stats.rejected} refused; ${lines() - linesBefore} log lines; loop delay max ${s.stats.eventLoop.maxMs} ms`)
    expect(samples.length).toBeGreaterThanOrEqual(5)
    expect(percentile(samples, 0.9)).toBeLessThanOrEqual(STATUS_BOUND_MS)
    expect(Math.max(...samples)).toBeLessThan(1_000)
    expect(lines() - linesBefore).toBeLessThan(50)
    expect(s.stats.net.bans).toBeGreaterThanOrEqual(1)
    expect(s.stats.gate.hostileEvents).toBeGreaterThanOrEqual(1)
    expect(s.stats.rejected).toBeLessThan(15_000) // the rest of the push was dropped with its sender
    await until(`A's RSS back within 20 % of ${before.toFixed(0)} MiB`, async () => await rssMib(a) <= before * 1.2, 60_000, 500)
    console.log(`bad push: RSS before ${before.toFixed(1)} MiB, peak ${(await peakRssMib(a)).toFixed(1)}, after ${(await rssMib(a)).toFixed(1)}`)
  })

  it('10 000 events of ~15 KiB stamped a year ahead: refused unread, none held, RSS under the bound', async () => {
    const { a, stream, messages } = await founderAndRogue(rogue => pushes(futureStamped(rogue, 10_000, YEAR_MS, 15 * 1024)))
    const before = await rssMib(a)
    const why = await sendAllOrWhy(stream, messages)
    expect(why, `the flood stopped: ${why ?? ''}\nA's log:\n${a.log}`).toBeUndefined()
    await until('A refused all of them', async () => (await status(a)).stats.tooFarAhead >= 10_000, 120_000, 250)
    const s = (await status(a)).stats
    const peak = await peakRssMib(a)
    console.log(`year-ahead flood: RSS before ${before.toFixed(1)} MiB, peak ${peak.toFixed(1)} MiB; held ${s.heldNow}, refused ${s.tooFarAhead}`)
    expect(s.heldNow).toBe(0)
    expect(s.shed['too-far-ahead']?.total).toBeGreaterThanOrEqual(10_000)
    expect(peak).toBeLessThan(FLOOD_RSS_BOUND_MIB)
  })

  it('10 000 events of ~15 KiB stamped 5 min ahead: held up to the byte bound, the flooder shed, RSS under the bound, honest writes still flow', async () => {
    const { a, rogue, stream, messages } = await founderAndRogue(r => pushes(futureStamped(r, 10_000, 5 * 60_000, 15 * 1024)))
    const b = await Node.create()
    cleanup.push(async () => { await b.destroy() })
    await b.start(['--join', await a.invite()])
    // A may also cut the flooder's session midway (once on a loaded machine the stream closed before
    // the last frame): then what arrived must still be bounded, and honest writes must still flow.
    const delivered = await sendAll(stream, messages)
    await until('A took the whole flood in, or cut the flooder off', async () => {
      const s = await status(a)
      return s.stats.held + s.stats.heldShed >= 10_000 || (!delivered && !s.peers.some(p => p.peerId === rogue.peerId))
    }, 120_000, 250)
    const s = (await status(a)).stats
    const peak = await peakRssMib(a)
    console.log(`5-min-ahead flood${delivered ? '' : ' (the session was cut before the last frame)'}: peak RSS ${peak.toFixed(1)} MiB; held ${s.heldNow} (${s.heldBytes} bytes), shed ${s.heldShed}`)
    expect(s.heldBytes).toBeLessThanOrEqual(8 * 1024 * 1024)
    if (delivered) {
      expect(s.heldShed).toBeGreaterThan(0)
      expect(s.shed['held-events']?.offenders[0]?.peer).toBe(rogue.peerId)
    }
    expect(peak).toBeLessThan(FLOOD_RSS_BOUND_MIB)
    expect((await b.publish('honest/after-flood', 'still here')).status).toBe(201)
    await until('A has B\'s write', async () => (await a.keys()).some(k => k.key === 'honest/after-flood'))
  })
})
