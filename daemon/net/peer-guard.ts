// Per-peer penalties and dial pacing, kept apart from the streams they judge.
//  - strikes: each bad frame, bad hello or undecodable message is a strike; maxStrikes within
//    strikeWindowMs bans the peer for banBaseMs, doubling with every further ban up to banMaxMs.
//  - redial backoff: after a failed dial or a lost session the next attempt waits base·2^failures
//    (capped), with ±50% jitter so a federation restarted together does not redial in lockstep.
// Time and randomness are injected so the logic is testable without clocks.

import type { NetLimits } from './limits.js'

interface PeerPenalty {
  strikes: number[]
  bans: number
  bannedUntilMs: number
}

interface DialPace {
  failures: number
  nextAttemptMs: number
}

export interface PeerGuardComponents {
  now: () => number
  random: () => number
}

type GuardLimits = Pick<NetLimits, 'maxStrikes' | 'strikeWindowMs' | 'banBaseMs' | 'banMaxMs' | 'redialBaseMs' | 'redialMaxMs' | 'maxKnownPeers'>

export class PeerGuard {
  private readonly limits: GuardLimits
  private readonly components: PeerGuardComponents
  private readonly penalties = new Map<string, PeerPenalty>()
  private readonly pace = new Map<string, DialPace>()

  constructor (limits: GuardLimits, components: PeerGuardComponents) {
    this.limits = limits
    this.components = components
  }

  /** Record a strike; returns the ban length in ms if this strike bans the peer, else 0. */
  strike (peer: string): number {
    const now = this.components.now()
    const penalty = this.penalty(peer)
    penalty.strikes = penalty.strikes.filter(t => now - t < this.limits.strikeWindowMs)
    penalty.strikes.push(now)
    if (penalty.strikes.length < this.limits.maxStrikes) return 0
    penalty.strikes = []
    const banMs = Math.min(this.limits.banBaseMs * 2 ** penalty.bans, this.limits.banMaxMs)
    penalty.bans++
    penalty.bannedUntilMs = now + banMs
    return banMs
  }

  isBanned (peer: string): boolean {
    const penalty = this.penalties.get(peer)
    return penalty !== undefined && penalty.bannedUntilMs > this.components.now()
  }

  bannedUntil (peer: string): number | undefined {
    return this.isBanned(peer) ? this.penalties.get(peer)?.bannedUntilMs : undefined
  }

  /** May we try this peer now? */
  canAttempt (peer: string): boolean {
    if (this.isBanned(peer)) return false
    const pace = this.pace.get(peer)
    return pace === undefined || pace.nextAttemptMs <= this.components.now()
  }

  /** An attempt failed: push the next one out exponentially. */
  failed (peer: string): number {
    const pace = this.pace.get(peer) ?? { failures: 0, nextAttemptMs: 0 }
    const delay = this.delay(pace.failures)
    pace.failures++
    pace.nextAttemptMs = this.components.now() + delay
    this.setBounded(this.pace, peer, pace)
    return delay
  }

  /** A session came up: forget failures. */
  succeeded (peer: string): void {
    this.pace.delete(peer)
  }

  /** A deliberate dial (join, an operator): earlier failures need not delay it. Bans stay. */
  forgive (peer: string): void {
    this.pace.delete(peer)
  }

  /** A session went down: try again after one base delay (not immediately: avoid a hot loop). */
  lost (peer: string): void {
    this.setBounded(this.pace, peer, { failures: 1, nextAttemptMs: this.components.now() + this.delay(0) })
  }

  private delay (failures: number): number {
    const base = Math.min(this.limits.redialBaseMs * 2 ** Math.min(failures, 30), this.limits.redialMaxMs)
    return Math.round(base * (0.5 + this.components.random()))
  }

  private penalty (peer: string): PeerPenalty {
    let penalty = this.penalties.get(peer)
    if (penalty === undefined) {
      penalty = { strikes: [], bans: 0, bannedUntilMs: 0 }
      this.setBounded(this.penalties, peer, penalty)
    }
    return penalty
  }

  /** Both maps are bounded: past maxKnownPeers the entry touched longest ago is forgotten. */
  private setBounded<V> (map: Map<string, V>, key: string, value: V): void {
    map.delete(key)
    map.set(key, value)
    while (map.size > this.limits.maxKnownPeers) {
      const first = map.keys().next()
      if (first.done === true) break
      map.delete(first.value)
    }
  }
}
