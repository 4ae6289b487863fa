// The member's side of /mycel/join/1.0.0. Every stream is bounded: one per
// connection, a few across the node, a deadline on the request, a cap on its
// size. A malformed request closes the stream and is a strike against the
// sender (the mesh bans repeat offenders); whether the token admits the
// sender is decided by `admit` (admit.ts).

import type { Connection, Stream } from '@libp2p/interface'
import type { Libp2p } from 'libp2p'
import { isMycelError, MycelError } from '../../../protocol/errors.js'
import type { Logger } from '../../log.js'
import { JOIN_LIMITS, JOIN_PROTOCOL, type JoinLimits } from './limits.js'
import { readFrame, writeFrame } from './stream-io.js'
import { decodeJoinRequest, encodeJoinAnswer, type JoinAnswer } from './wire.js'

export interface JoinServerComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle'>
  /** Decides and, if admitted, writes the grant durably. Must not throw for a refusal. */
  admit: (peer: string, invite: Uint8Array) => Promise<JoinAnswer>
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
    await this.c.libp2p.handle(JOIN_PROTOCOL, (stream, connection) => { void this.serve(stream, connection) }, {
      maxInboundStreams: this.limits.maxInboundStreamsPerConnection,
      maxOutboundStreams: 1
    })
  }

  async stop (): Promise<void> {
    await this.c.libp2p.unhandle(JOIN_PROTOCOL)
  }

  /** Never rejects: every failure ends this stream only. */
  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    this.stats.requests++
    if (this.inFlight >= this.limits.maxConcurrentJoins) {
      this.stats.busy++
      await this.answer(stream, peer, { ok: false, reason: 'busy', message: 'too many joins in progress; try again' })
      return
    }
    this.inFlight++
    try {
      let invite: Uint8Array
      try {
        invite = decodeJoinRequest(await readFrame(stream, this.limits.maxRequestBytes, this.limits.requestTimeoutMs))
      } catch (err) {
        this.stats.malformed++
        this.c.log.info('bad join request', { remote: peer, err })
        if (!isMycelError(err, 'TIMEOUT') && !isMycelError(err, 'CLOSED')) this.c.strike(peer, 'malformed join request')
        stream.abort(err instanceof Error ? err : new MycelError('DECODE_FAILED', String(err)))
        return
      }
      let answer: JoinAnswer
      try {
        answer = await this.c.admit(peer, invite)
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
      await writeFrame(stream, encodeJoinAnswer(answer))
      await stream.close({ signal: AbortSignal.timeout(this.limits.requestTimeoutMs) })
    } catch (err) {
      this.c.log.debug('could not send the join answer', { remote: peer, err })
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
