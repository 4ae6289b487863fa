// Peers this node admitted lately (join protocol), whose first sync session it accepts even when it
// already holds maxPeers sessions (mesh.ts judgeHello). Bounded in count and in time: the oldest is
// dropped beyond MAX_INVITEES, and an entry counts for INVITEE_GRACE_MS. A joiner needs that first
// session only to receive its grant and the members' addresses; after that it finds other members.

/** Joiners remembered at once: beyond, the oldest goes (a burst of joins through one member). */
export const MAX_INVITEES = 64
/** How long after its admission a joiner's session is accepted by a full inviter. */
export const INVITEE_GRACE_MS = 10 * 60_000

export class Invitees {
  /** peer → when it was admitted (monotonic ms); insertion order is admission order. */
  private readonly at = new Map<string, number>()

  add (peer: string, nowMs: number): void {
    this.at.delete(peer)
    this.at.set(peer, nowMs)
    while (this.at.size > MAX_INVITEES) this.at.delete(this.at.keys().next().value as string)
  }

  has (peer: string, nowMs: number): boolean {
    const t = this.at.get(peer)
    if (t === undefined) return false
    if (nowMs - t < INVITEE_GRACE_MS) return true
    this.at.delete(peer)
    return false
  }
}
