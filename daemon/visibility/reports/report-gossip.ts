// Gossip of site reports (report.ts) over /mycel/report/1.0.0, members only.
//
// Every REPORT_CHECK_MS this node writes its own report anew if what it says has changed, or if the last
// one is REPORT_REFRESH_MS old (so its age stays meaningful), and sends each connected member the reports
// it holds that are newer than what that member was last sent: its own, and those of sites that do not
// reach that member themselves (relay-rule.ts). A site two hops away is thus known with a report a few
// seconds old. A report is taken only from a current
// member about itself (its signature says so), only if newer than the one held and not stamped beyond
// the hold horizon; a sender whose frame is malformed or carries a forged report is struck (the mesh's
// strikes and bans). One report per member is kept; a member that leaves is forgotten.

import type { Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Cancel, Signer, Timers, Verifier } from '../../../protocol/ports.js'
import { every } from '../../time.js'
import { errorText, type Logger } from '../../log.js'
import { encodeFrame } from '../../net/frame.js'
import type { Host } from '../../net/host.js'
import { readOneFrame, sendFrame } from '../../net/stream-io.js'
import { worthSending } from './relay-rule.js'
import { decodeReports, encodeReports, MAX_REPORT_AHEAD_MS, signReport, type SignedReport, type SiteReport } from './report.js'

export const REPORT_PROTOCOL = '/mycel/report/1.0.0'
/** How often our own report is considered for rewriting and new reports are sent. */
export const REPORT_CHECK_MS = 5_000
/** Our report is rewritten at least this often, even unchanged (its age is what readers see). */
export const REPORT_REFRESH_MS = 30_000
/** One frame's reports at most (bytes); more wait for the next round. */
const MAX_FRAME_BYTES = 512 * 1024
const STREAM_TIMEOUT_MS = 10_000

export interface ReportGossipComponents {
  selfId: string
  host: Pick<Host, 'handle' | 'unhandle' | 'dialProtocol'>
  signer: Signer
  verifier: Verifier
  /** Our report as of now, without its time (compared with the last to see if it changed). */
  own: () => Omit<SiteReport, 'atMs'>
  /** Current members (reports of others are dropped). */
  isMember: (peer: string) => boolean
  connectedPeers: () => string[]
  strike: (peer: string, why: string) => void
  /** Wall-clock ms: a report's atMs, compared across sites. */
  nowMs: () => number
  /** The rounds' timer (daemon/time.ts's, or a test's). */
  timers: Timers
  log: Logger
}

export class ReportGossip {
  private readonly reports = new Map<string, SignedReport>()
  /** Per connected peer: the atMs of each author's report last sent to it. */
  private readonly sent = new Map<string, Map<string, number>>()
  private lastOwn = ''
  private stopRounds: Cancel | undefined
  private sending = false
  readonly stats = { received: 0, refused: 0, sent: 0 }

  constructor (private readonly c: ReportGossipComponents) {}

  async start (): Promise<void> {
    await this.c.host.handle(REPORT_PROTOCOL, async (stream, peer) => { await this.receive(stream, peer) }, { membersOnly: true, maxInbound: 2, maxOutbound: 2, name: 'report' })
    this.round()
    this.stopRounds = every(this.c.timers, REPORT_CHECK_MS, () => { this.round() })
  }

  async stop (): Promise<void> {
    this.stopRounds?.()
    await this.c.host.unhandle(REPORT_PROTOCOL).catch(() => {})
  }

  /** The latest report of every member that sent one (ours included). */
  all (): SiteReport[] {
    for (const author of this.reports.keys()) if (author !== this.c.selfId && !this.c.isMember(author)) this.reports.delete(author)
    return [...this.reports.values()].map(r => r.report)
  }

  /** One round: our report rewritten if due, then what each connected member lacks sent to it. */
  round (): void {
    this.refreshOwn()
    if (this.sending) return
    this.sending = true
    this.sendAll().catch(err => { this.c.log.debug('report gossip round failed', { error: errorText(err) }) }).finally(() => { this.sending = false })
  }

  private refreshOwn (): void {
    const content = this.c.own()
    const text = JSON.stringify(content)
    const mine = this.reports.get(this.c.selfId)
    const now = this.c.nowMs()
    if (mine !== undefined && text === this.lastOwn && now - mine.report.atMs < REPORT_REFRESH_MS) return
    try {
      this.reports.set(this.c.selfId, signReport({ ...content, atMs: Math.max(now, (mine?.report.atMs ?? 0) + 1) }, this.c.signer))
      this.lastOwn = text
    } catch (err) {
      this.c.log.warn('could not write our site report', { error: errorText(err) })
    }
  }

  private async sendAll (): Promise<void> {
    const connected = this.c.connectedPeers()
    for (const peer of this.sent.keys()) if (!connected.includes(peer)) this.sent.delete(peer) // a new session gets everything again
    await Promise.all(connected.map(async peer => { await this.sendTo(peer) }))
  }

  private async sendTo (peer: string): Promise<void> {
    const sent = this.sent.get(peer) ?? new Map<string, number>()
    const due: SignedReport[] = []
    let bytes = 0
    for (const r of this.reports.values()) {
      if (!worthSending(r.report, this.c.selfId, peer) || (sent.get(r.report.author) ?? -1) >= r.report.atMs) continue
      if (bytes + r.body.length * 2 > MAX_FRAME_BYTES) break // base64 and JSON: under twice the body
      due.push(r)
      bytes += r.body.length * 2
    }
    if (due.length === 0) return
    const stream: Stream = await this.c.host.dialProtocol(peerIdFromString(peer), REPORT_PROTOCOL, { signal: AbortSignal.timeout(STREAM_TIMEOUT_MS) })
    try {
      await sendFrame(stream, encodeFrame(encodeReports(due)), { highWaterBytes: MAX_FRAME_BYTES, timeoutMs: STREAM_TIMEOUT_MS })
      await stream.close()
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
    for (const r of due) sent.set(r.report.author, r.report.atMs)
    this.sent.set(peer, sent)
    this.stats.sent += due.length
  }

  private async receive (stream: Stream, from: string): Promise<void> {
    let reports: SignedReport[]
    try {
      reports = decodeReports(await readOneFrame(stream, MAX_FRAME_BYTES, STREAM_TIMEOUT_MS), this.c.verifier)
    } catch (err) {
      this.stats.refused++
      this.c.strike(from, `a bad site report frame: ${errorText(err)}`)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      return
    }
    await stream.close().catch(() => {})
    const now = this.c.nowMs()
    for (const r of reports) {
      const author = r.report.author
      // Only a member's report of itself, and never our own from someone else.
      if (author === this.c.selfId || !this.c.isMember(author)) continue
      if (r.report.atMs > now + MAX_REPORT_AHEAD_MS) continue
      if ((this.reports.get(author)?.report.atMs ?? -1) >= r.report.atMs) continue
      this.reports.set(author, r)
      this.stats.received++
      // The sender has it: no need to send it back.
      const sent = this.sent.get(from) ?? new Map<string, number>()
      sent.set(author, r.report.atMs)
      this.sent.set(from, sent)
    }
  }
}
