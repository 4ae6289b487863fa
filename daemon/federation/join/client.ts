// The joiner's side of /mycel/join/1.0.0: dial a member, present the token,
// read one answer. Addresses are tried in order until one member answers (an
// answer, ok or not, is final: every member judges a token the same way).

import type { Stream } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { MycelError } from '../../../protocol/errors.js'
import { encodeFrame } from '../../net/frame.js'
import { readOneFrame, sendFrame } from '../../net/stream-io.js'
import { JOIN_LIMITS, JOIN_PROTOCOL } from './limits.js'
import { decodeJoinAnswer, encodeJoinRequest, type JoinAnswer, type JoinRequest } from './wire.js'

/** What dials a member: the daemon's host (daemon/net/host.ts), or any libp2p node (tests). */
export interface JoinDialer {
  dialProtocol: (target: Multiaddr, protocol: string, options: { signal: AbortSignal }) => Promise<Stream>
}

export interface JoinAttempt {
  /** Full multiaddrs ending in /p2p/<member>. */
  targets: string[]
  request: JoinRequest
  timeoutMs?: number
  /** Told when a pass found no member answering and another follows after `inMs` (a log line). */
  onRetry?: (info: { pass: number, of: number, inMs: number, failures: string[] }) => void
}

export interface JoinReply {
  answer: JoinAnswer
  /** The member that answered. */
  member: string
  addr: string
}

/**
 * Throws UNAVAILABLE when no target answered after JOIN_LIMITS.connectRounds
 * passes with backoff; each target's last failure is in the message.
 */
export async function requestJoin (dialer: JoinDialer, attempt: JoinAttempt): Promise<JoinReply> {
  let failures: string[] = []
  let delayMs: number = JOIN_LIMITS.connectRetryMs
  for (let round = 1; ; round++) {
    const r = await tryTargets(dialer, attempt)
    if (!Array.isArray(r)) return r
    failures = r
    if (round >= JOIN_LIMITS.connectRounds || attempt.targets.length === 0) break
    attempt.onRetry?.({ pass: round, of: JOIN_LIMITS.connectRounds, inMs: delayMs, failures })
    await new Promise(resolve => setTimeout(resolve, delayMs))
    delayMs = Math.min(delayMs * 2, JOIN_LIMITS.connectRetryMaxMs)
  }
  throw new MycelError('UNAVAILABLE', `no member answered the join request (${failures.join('; ') || 'no addresses'})`)
}

/** One pass over the targets: the first answer, or every target's failure. */
async function tryTargets (dialer: JoinDialer, attempt: JoinAttempt): Promise<JoinReply | string[]> {
  const timeoutMs = attempt.timeoutMs ?? JOIN_LIMITS.answerTimeoutMs + 5_000
  const failures: string[] = []
  for (const addr of attempt.targets) {
    let ma
    try {
      ma = multiaddr(addr)
    } catch (err) {
      failures.push(`${addr}: not a multiaddr`)
      continue
    }
    const member = ma.getComponents().findLast(c => c.name === 'p2p')?.value
    if (member === undefined) { failures.push(`${addr}: no /p2p/ peer id`); continue }
    try {
      const stream = await dialer.dialProtocol(ma, JOIN_PROTOCOL, { signal: AbortSignal.timeout(timeoutMs) })
      try {
        await sendFrame(stream, encodeFrame(encodeJoinRequest(attempt.request)), { highWaterBytes: JOIN_LIMITS.writeBufferBytes, timeoutMs })
        const answer = decodeJoinAnswer(await readOneFrame(stream, JOIN_LIMITS.maxAnswerBytes, timeoutMs))
        await stream.close().catch(() => {})
        return { answer, member, addr }
      } catch (err) {
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        throw err
      }
    } catch (err) {
      failures.push(`${addr}: ${(err as Error).message}`)
    }
  }
  return failures
}
