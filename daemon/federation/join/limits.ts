// Every bound of the join protocol, with why it is what it is (STYLE.md point 10).

import { MAX_INVITE_BYTES, MAX_SIG_BYTES } from '../../../protocol/limits.js'

/** The join protocol: the only thing a non-member may speak to a member. */
/** Version 2: the request carries the token's public part and the joiner's claim, never the secret. */
export const JOIN_PROTOCOL = '/mycel/join/2.0.0'

export const JOIN_LIMITS = Object.freeze({
  /** A request carries one invite token (≤ MAX_INVITE_BYTES), a claim (≤ MAX_SIG_BYTES) and a few bytes of envelope. */
  maxRequestBytes: MAX_INVITE_BYTES + MAX_SIG_BYTES + 256,
  /** An answer carries a reason or the genesis (~100 bytes) and a short message. */
  maxAnswerBytes: 2048,
  /**
   * A join stream carries one frame each way: its writer waits only while more than that is unsent
   * (sendFrame's drain wait, daemon/net/stream-io.ts), and within the read deadline of its side.
   */
  writeBufferBytes: MAX_INVITE_BYTES + MAX_SIG_BYTES + 256,
  /** The joiner must send its request within this after opening the stream. */
  requestTimeoutMs: 5_000,
  /**
   * The member answers within this: the grant must be written and durable (an fsync), which on a
   * loaded disk can take a while; the joiner waits a little longer than the member does.
   */
  answerTimeoutMs: 15_000,
  /** One join at a time per connection: a joiner needs only one; more is someone probing. */
  maxInboundStreamsPerConnection: 1,
  /** Joins being handled at once across all connections; beyond, the answer is `busy`. */
  maxConcurrentJoins: 8,
  /**
   * Passes over the token's addresses when no member answered at all (connection refused or reset,
   * e.g. by a member's per-host inbound connection rate limit, or its stranger slots all taken by
   * probes that reconnect as fast as they are dropped — from the joiner's own IP, only slots freed
   * at random let it in): transient on real networks, so a join keeps trying for about 50 s before it
   * gives up.
   */
  connectRounds: 12,
  /** Pause before the second pass; doubled for each further one up to connectRetryMaxMs (0.5 + 1 + 2 + 4 + 8 × 5 s ≈ 48 s in all). */
  connectRetryMs: 500,
  connectRetryMaxMs: 5_000
})

export type JoinLimits = typeof JOIN_LIMITS
