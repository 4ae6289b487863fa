// The floods of issue #17 against real daemons, measured from outside: RSS before, at its peak and
// after the flood, and how long `GET /v1/status` takes to answer while a daemon works through it.
// Each returns plain figures; main.ts prints them. The regression tests (test/integration/abuse/)
// assert bounds on the same figures.

import { inviteFromText } from '../../protocol/invite.js'
import { badlySigned, futureStamped, pushes, sendAll, YEAR_MS } from '../../test/helpers/attacker.js'
import { Node, until } from '../../test/helpers/daemons.js'
import { peakRssMib, rssMib, StatusProbe } from '../../test/helpers/probes.js'
import { Rogue } from '../../test/helpers/rogue.js'
import type { SyncMessage } from '../../protocol/messages.js'

export type Say = (line: string) => void
export type Figures = Record<string, number | string | boolean>

/**
 * A founder and a rogue writer with a sync session to it, and the rogue's flood, built before the
 * session opens: building thousands of signed events holds the rogue's event loop for seconds, and a
 * rogue that does not answer the daemon's pings meanwhile is hung up on.
 */
async function founderAndRogue (say: Say, flood: (rogue: Rogue, founder: string) => SyncMessage[]): Promise<{ a: Node, rogue: Rogue, messages: SyncMessage[], stream: Awaited<ReturnType<Rogue['session']>>['stream'], lines: () => number, stop: () => Promise<void> }> {
  const a = await Node.create({ logLevel: 'info' })
  await a.start()
  let lines = 0
  a.proc?.stderr?.on('data', (chunk: Buffer) => { for (const b of chunk) if (b === 10) lines++ })
  const rogue = await Rogue.create()
  const messages = flood(rogue, a.ready?.peerId ?? '')
  const addr = a.ready?.listen[0] ?? ''
  const answer = await rogue.join(inviteFromText(await a.invite()), addr)
  if (!answer.ok) throw new Error(`the rogue was not admitted: ${JSON.stringify(answer)}`)
  const { stream, welcome } = await rogue.session(addr, a.ready?.federation ?? '')
  if (!welcome.ok) throw new Error(`the rogue's session was refused: ${JSON.stringify(welcome)}`)
  await until('the rogue\'s session is up', async () => ((await a.api<{ peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body.peers.some(p => p.peerId === rogue.peerId)))
  say(`founder ${a.ready?.peerId ?? ''}, rogue writer ${rogue.peerId}`)
  return { a, rogue, messages, stream, lines: () => lines, stop: async () => { await rogue.stop(); await a.destroy() } }
}

/** RSS every 250 ms until `settleMs` after `endedAt()` is set, or `maxMs`. */
async function settle (a: Node, settleMs: number): Promise<number> {
  await new Promise(resolve => setTimeout(resolve, settleMs))
  return await rssMib(a)
}

/** 15 000 badly signed events in one push: status latency meanwhile, log lines, RSS. */
export async function badPush (say: Say, count = 15_000, settleMs = 30_000): Promise<Figures> {
  const { a, rogue, messages, stream, lines, stop } = await founderAndRogue(say, (_rogue, founder) => pushes(badlySigned(founder, count, 1_000_000)))
  try {
    await new Promise(resolve => setTimeout(resolve, 2_000))
    const before = await rssMib(a)
    const linesBefore = lines()
    const probe = new StatusProbe(a)
    const t0 = performance.now()
    await sendAll(stream, messages)
    await until('the flood is processed (or its sender cut off)', async () => {
      const s = (await a.api<{ stats: { rejected: number }, peers: Array<{ peerId: string }> }>('GET', '/v1/status')).body
      return s.stats.rejected >= count || !s.peers.some(p => p.peerId === rogue.peerId)
    }, 60_000)
    const processedMs = performance.now() - t0
    await new Promise(resolve => setTimeout(resolve, 500))
    await probe.stop()
    const peak = await peakRssMib(a)
    const after = await settle(a, settleMs)
    const status = (await a.api<{ stats: { rejected: number } }>('GET', '/v1/status')).body
    return {
      events: count,
      messages: messages.length,
      processedMs: Math.round(processedMs),
      rejected: status.stats.rejected,
      statusMaxMs: Math.round(probe.maxMs),
      statusSamples: probe.samples.length,
      logLines: lines() - linesBefore,
      rssBeforeMib: round(before),
      rssPeakMib: round(peak),
      rssAfterMib: round(after)
    }
  } finally {
    await stop()
  }
}

/** `count` signed events stamped `aheadMs` ahead (a year by default), ~`bytes` each: RSS before, peak, after. */
export async function futureFlood (say: Say, count = 10_000, bytes = 15 * 1024, settleMs = 30_000, aheadMs = YEAR_MS): Promise<Figures> {
  const { a, messages, stream, stop } = await founderAndRogue(say, rogue => pushes(futureStamped(rogue, count, aheadMs, bytes)))
  try {
    await new Promise(resolve => setTimeout(resolve, 2_000))
    const before = await rssMib(a)
    say(`sending ${count} events of ~${bytes} bytes stamped ${Math.round(aheadMs / 1000)} s ahead in ${messages.length} pushes`)
    const probe = new StatusProbe(a, 50)
    let maxRss = before
    const sampler = setInterval(() => { rssMib(a).then(r => { maxRss = Math.max(maxRss, r) }, () => {}) }, 200)
    const sent = await sendAll(stream, messages)
    type S = { stats: { held: number, heldNow: number, heldBytes?: number, heldShed?: number, tooFarAhead?: number, rejected: number } }
    await until('the flood is taken in', async () => {
      const s = (await a.api<S>('GET', '/v1/status')).body.stats
      return s.held + s.rejected >= count
    }, 120_000).catch(err => { say(String(err)) })
    clearInterval(sampler)
    await probe.stop()
    const s = (await a.api<S>('GET', '/v1/status')).body.stats
    const peak = await peakRssMib(a)
    const after = await settle(a, settleMs)
    return {
      events: count,
      eventBytes: bytes,
      sent,
      aheadMs,
      held: s.held,
      heldNow: s.heldNow,
      heldBytes: s.heldBytes ?? -1,
      heldShed: s.heldShed ?? -1,
      tooFarAhead: s.tooFarAhead ?? -1,
      rejected: s.rejected,
      statusMaxMs: Math.round(probe.maxMs),
      rssBeforeMib: round(before),
      rssMaxSampledMib: round(maxRss),
      rssPeakMib: round(peak),
      rssAfterMib: round(after)
    }
  } finally {
    await stop()
  }
}

function round (n: number): number {
  return Math.round(n * 10) / 10
}
