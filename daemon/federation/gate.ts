// The membership gate between the core and the network. The core's
// membership view (protocol/membership.ts) decides who is a member; this
// class turns that into what the mesh (and the blob protocol) asks:
// isAllowed(peer). It also notices membership changes — a grant or a revoke
// applied, a grant invalidated — and then re-checks every open session
// (mesh.revalidate), so a revoked peer is cut off as soon as its revoke
// arrives; and it turns the core's refusals of events that no honest member
// would ever send (forged signatures, forged tokens) into strikes against the
// peer that sent them, which the mesh turns into growing bans.

import type { Event } from '../../protocol/event.js'
import type { Membership } from '../../protocol/membership.js'
import type { Logger } from '../log.js'

export interface FederationGateComponents {
  members: () => Membership | undefined
  log: Logger
}

export interface GateHooks {
  /** Re-check open sessions (mesh.revalidate). */
  revalidate: () => void
  /** Bad input from a peer (mesh.strike). */
  strike: (peer: string, why: string) => void
  /** Membership changed (e.g. announce our addresses once we are a member). */
  changed?: () => void
}

/**
 * Refusals that say the sender is hostile, whatever it may still learn: a
 * forged signature, or a grant whose token is forged, expired or for another
 * federation. Every honest member checks the same before it forwards an event,
 * so an honest peer never sends one. (Refusals for a missing or too low role
 * are not here: they can be an ordering effect — a grant not yet arrived.)
 */
const HOSTILE = /^(bad signature|verification failed|malformed invite token|invite token:|grant role differs)/

export class FederationGate {
  private readonly c: FederationGateComponents
  private hooks: GateHooks | undefined
  /** The member that admitted us, trusted until our own view knows (or revokes) it. */
  private readonly bootstrap = new Set<string>()
  private scheduled = false
  private readonly changeWaiters = new Set<() => void>()
  readonly stats = { hostileEvents: 0, membershipChanges: 0 }

  constructor (components: FederationGateComponents) {
    this.c = components
  }

  get members (): () => Membership | undefined {
    return this.c.members
  }

  /** Set once the mesh exists (the core, built first, reports through this class before). */
  attach (hooks: GateHooks): void {
    this.hooks = hooks
  }

  isAllowed (peer: string): boolean {
    const m = this.c.members()
    if (m === undefined) return true
    if (m.cutOf(peer) !== undefined) return false
    return this.bootstrap.has(peer) || m.members().includes(peer)
  }

  trustBootstrap (peer: string): void {
    this.bootstrap.add(peer)
  }

  /** Observer hook: an event was applied (or removed); member and revoke events change the gate. */
  noteEvent (event: Event): void {
    if (event.body.kind !== 'member' && event.body.kind !== 'revoke') return
    // Deferred: the core folds the event into its membership after telling its observer.
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.stats.membershipChanges++
      try {
        this.hooks?.revalidate()
        this.hooks?.changed?.()
      } catch (err) {
        this.c.log.error('applying a membership change failed', { err })
      }
      for (const wake of [...this.changeWaiters]) wake()
    })
  }

  /**
   * Calls `listener` after every membership change (deferred, batched), e.g.
   * for a protocol that keeps its own streams — blob transfer — to re-check
   * them with isAllowed. Returns the unsubscribe function.
   */
  onChange (listener: () => void): () => void {
    const safe = (): void => {
      try { listener() } catch (err) { this.c.log.error('a membership change listener failed', { err }) }
    }
    this.changeWaiters.add(safe)
    return () => { this.changeWaiters.delete(safe) }
  }

  /**
   * Resolves true once `test()` holds, re-checked after every membership
   * change; false after timeoutMs. (A joiner waits for its own grant to
   * arrive before it reports ready, so its first publish is not refused.)
   */
  async until (test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return true
    return await new Promise<boolean>(resolve => {
      const done = (ok: boolean): void => {
        clearTimeout(timer)
        this.changeWaiters.delete(check)
        resolve(ok)
      }
      const check = (): void => { if (test()) done(true) }
      const timer = setTimeout(() => { done(false) }, timeoutMs)
      this.changeWaiters.add(check)
    })
  }

  /** Observer hook: the core refused an event from `from`. */
  rejected (event: Event | undefined, from: string, reason: string): void {
    if (!HOSTILE.test(reason) || from === '') return
    this.stats.hostileEvents++
    this.hooks?.strike(from, `sent a forged event (${reason})`)
    void event
  }
}
