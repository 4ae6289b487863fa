// What a replica remembers per peer so that two anti-entropy rounds never
// stream the same events twice. Two situations start a second stream:
//
// - A pull is running: we are asking a peer for the rest of a multi-part
//   response (`more`). Another vv to that peer, from a round of ours or in
//   answer to one of its own, would start a second response beside it (a
//   joiner catching up on 100 000 events once received each about 5 times).
// - Rounds cross: both ends begin a round at once, as when a link comes up.
//   Each answers the other's digest with its vv. The peer's vv then arrives
//   here after we sent ours. That peer is already answering ours with
//   everything we lacked, so answering its vv with ours again would start a
//   second stream (a joiner of 10 000 events received 20 005 duplicates).
//   Events written here meanwhile (a joining daemon's address record, say)
//   only make its answer a little larger than needed.
//
// Both are remembered for PULL_IDLE_MS at most: a lost message costs one
// round's delay, never a stuck peer. Pure bookkeeping, driven by the replica's
// clock.

export class RoundGuard {
  /** Peers we are pulling from, with the time of the last pull or part. */
  private readonly pulls = new Map<string, number>()
  /** When we answered each peer's digest with our vv, until any of its answer arrives. */
  private readonly asked = new Map<string, number>()

  constructor (private readonly idleMs: number) {}

  /** We answered `peer`'s digest with our vv. */
  answeredDigest (peer: string, now: number): void {
    this.asked.set(peer, now)
  }

  /** We asked `peer` for the rest of a multi-part response. */
  pulled (peer: string, now: number): void {
    this.pulls.set(peer, now)
  }

  /** A part of `peer`'s answer arrived: a vv from it from now on is a new round, and a running pull is alive. */
  answerArrived (peer: string, now: number): void {
    this.asked.delete(peer)
    if (this.pulls.has(peer)) this.pulls.set(peer, now)
  }

  /** A pull from `peer` is running: a part came or a pull went out within idleMs. */
  pulling (peer: string, now: number): boolean {
    const last = this.pulls.get(peer)
    if (last === undefined) return false
    if (now - last <= this.idleMs) return true
    this.pulls.delete(peer)
    return false
  }

  /**
   * Whether `peer`'s vv, arriving now, crossed the one we sent for its digest: within idleMs and
   * before any of its answer. Asking consumes the record, so a later vv counts as a new round.
   */
  crossed (peer: string, now: number): boolean {
    const asked = this.asked.get(peer)
    if (asked === undefined) return false
    this.asked.delete(peer)
    return now - asked <= this.idleMs
  }

  forget (peer: string): void {
    this.pulls.delete(peer)
    this.asked.delete(peer)
  }
}
