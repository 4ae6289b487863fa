// The member's side of /mycel/join/1.0.0. Every stream is bounded: one per
// connection, a few across the node, a deadline on the request, a cap on its
// size. A malformed request closes the stream and is a strike against the
// sender (the mesh bans repeat offenders); whether the token admits the
// sender is decided by `admit` (admit.ts).

import type { Stream } from '@libp2p/interface'
import { isMycelError, MycelError } from '../../../protocol/errors.js'
import type { Logger } from '../../log.js'
import { encodeFrame } from '../../net/frame.js'
import type { Host } from '../../net/host.js'
import { readOneFrame, sendFrame } from '../../net/stream-io.js'
import { JOIN_LIMITS, JOIN_PROTOCOL, type JoinLimits } from './limits.js'
import { decodeJoinRequest, encodeJoinAnswer, type JoinAnswer, type JoinRequest } from './wire.js'

export interface JoinServerComponents {
  /** The libp2p node; join is open to non-members (it is how they become members). */
  host: Pick<Host, 'handle' | 'unhandle'>
  /** Decides and, if admitted, writes the grant durably. Must not throw for a refusal. */
  admit: (peer: string, request: JoinRequest) => Promise<JoinAnswer>
  /** Bad input from this peer (a malformed request). */
  strike: (peer: string, why: string) => void
  log: Logger
}

export interface JoinServerStats {
  requests: number
  admitted: number
  refused: number
  malformed: number
  busy: number
}

export class JoinServer {
  readonly stats: JoinServerStats = { requests: 0, admitted: 0, refused: 0, malformed: 0, busy: 0 }
  private readonly limits: JoinLimits
  private readonly c: JoinServerComponents
  private inFlight = 0

  constructor (limits: Partial<JoinLimits>, components: JoinServerComponents) {
    this.limits = { ...JOIN_LIMITS, ...limits }
    this.c = components
  }

  async start (): Promise<void> {
    await this.c.host.handle(JOIN_PROTOCOL, async (stream, peer) => { await this.serve(stream, peer) }, {
      name: 'join',
      maxInbound: this.limits.maxInboundStreamsPerConnection,
      maxOutbound: 1,
      // A token holder is a stranger until admitted: its connection keeps its slot while it joins.
      holdsSlot: true
    })
  }

  async stop (): Promise<void> {
    await this.c.host.unhandle(JOIN_PROTOCOL)
  }

  /** Never rejects: every failure ends this stream only. */
  private async serve (stream: Stream, peer: string): Promise<void> {
    this.stats.requests++
    if (this.inFlight >= this.limits.maxConcurrentJoins) {
      this.stats.busy++
      await this.answer(stream, peer, { ok: false, reason: 'busy', message: 'too many joins in progress; try again' })
      return
    }
    this.inFlight++
    try {
      let request: JoinRequest
      try {
        request = decodeJoinRequest(await readOneFrame(stream, this.limits.maxRequestBytes, this.limits.requestTimeoutMs))
      } catch (err) {
        this.stats.malformed++
        this.c.log.info('bad join request', { remote: peer, err })
        if (!isMycelError(err, 'TIMEOUT') && !isMycelError(err, 'CLOSED')) this.c.strike(peer, 'malformed join request')
        stream.abort(err instanceof Error ? err : new MycelError('DECODE_FAILED', String(err)))
        return
      }
      let answer: JoinAnswer
      try {
        answer = await this.c.admit(peer, request)
      } catch (err) {
        this.c.log.error('join admission failed', { remote: peer, err })
        answer = { ok: false, reason: 'internal', message: 'the member could not record the grant' }
      }
      if (answer.ok) this.stats.admitted++
      else this.stats.refused++
      this.c.log.info(answer.ok ? 'join admitted' : 'join refused', { remote: peer, reason: answer.ok ? undefined : answer.reason })
      await this.answer(stream, peer, answer)
    } finally {
      this.inFlight--
    }
  }

  private async answer (stream: Stream, peer: string, answer: JoinAnswer): Promise<void> {
    try {
      await sendFrame(stream, encodeFrame(encodeJoinAnswer(answer)), { highWaterBytes: this.limits.writeBufferBytes, timeoutMs: this.limits.requestTimeoutMs })
      await stream.close({ signal: AbortSignal.timeout(this.limits.requestTimeoutMs) })
    } catch (err) {
      this.c.log.debug('could not send the join answer', { remote: peer, err })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
