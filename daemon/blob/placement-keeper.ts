// The replication factor at this site (rules.ts `replicas`, protocol/placement.ts): for every blob
// that a live key under a `replicas` rule references, whether this site is one of its holders. If it
// is, the bytes are wanted here whatever the site's own mode (the mirror fetches them: service.ts)
// and kept (a `none` site's afterServe, and any eviction, ask isPlaced first).
//
// Placement is worked out again for:
//   - a new winner of a key (a put): that blob, queued;
//   - a change of who may hold — a grant, a revoke, a fault, a site record (its policy), a rules
//     event: every referenced blob, once things are quiet for PLACEMENT_SWEEP_DEBOUNCE_MS (and at
//     most PLACEMENT_SWEEP_DELAY_MS_MAX after the first change);
//   - a change in the set of sites down for longer than PLACEMENT_DOWN_GRACE_MS (looked at every
//     PLACEMENT_DOWN_CHECK_MS): every blob;
//   - every PLACEMENT_RESWEEP_MS: every blob, and the mirror asked again for those held elsewhere
//     only, so a fetch it gave up on is tried again.
// The work runs PLACEMENT_SLICE_KEYS keys at a time, the event loop given way between slices: no
// input does O(keys) work at once, and a put costs one blob's placement (O(members) hashes).
//
// Copies are never dropped because this site stopped being a holder (a site joined that outranks it,
// or a holder that was down came back): the factor is "at least N", and a copy dropped on a view
// that turns out wrong is a copy lost. The usual collection still removes the bytes once no live key
// references them.

import { equalBytes } from '../../protocol/bytes.js'
import type { Event, ReplicateMode } from '../../protocol/event.js'
import { placeHolders } from '../../protocol/placement.js'
import type { Cancel, Timers } from '../../protocol/ports.js'
import type { RuleSet } from '../../protocol/rules.js'
import type { Logger } from '../log.js'
import { every } from '../time.js'
import { MAX_PLACEMENT_QUEUE, PLACEMENT_DOWN_CHECK_MS, PLACEMENT_RESWEEP_MS, PLACEMENT_SLICE_KEYS, PLACEMENT_SWEEP_DEBOUNCE_MS, PLACEMENT_SWEEP_DELAY_MS_MAX } from './constants.js'
import { hexOf, type BlobRef, type BlobRefs } from './refs.js'

/** What placement reads of the federation (the runtime wires them). */
export interface PlacementSources {
  /** The rules this site enforces now. */
  rules: () => RuleSet
  /** The winner of a key. */
  winner: (key: string) => Event | undefined
  /**
   * Current members (a role now), each with whether it is demoted: down for longer than
   * PLACEMENT_DOWN_GRACE_MS as this site sees it. This site's view, not an agreed one.
   */
  members: () => Array<{ peer: string, demoted: boolean }>
  /** A member's announced mode for a key (federation/site-directory.ts); undefined: no record yet. */
  modeOf: (peer: string, key: string) => ReplicateMode | undefined
}

export interface PlacementKeeperComponents extends PlacementSources {
  selfId: string
  refs: Pick<BlobRefs, 'get' | 'all'>
  /** This site holds the blob of this digest hex: fetch it if it is not here. */
  want: (hex: string) => void
  timers: Timers
  log: Logger
}

/** A key's factor as this site places it now. */
export interface KeyPlacement {
  /** The rule's factor. */
  target: number
  /** The sites chosen, best first: `target` of them, fewer if fewer can hold. */
  holders: string[]
}

type Members = ReturnType<PlacementSources['members']>

export class PlacementKeeper {
  readonly stats = { placed: 0, sweeps: 0, keysPlaced: 0 }
  /** Digests (hex) this site is a holder of. */
  private readonly placed = new Set<string>()
  /** Blobs of new puts, to place. */
  private readonly queue = new Set<string>()
  /** A sweep of every blob under way, and whether it asks the mirror again for every blob placed here. */
  private sweep: { blobs: Iterator<BlobRef>, retry: boolean } | undefined
  private sweepDue: { cancel: Cancel, retry: boolean, sinceMs: number } | undefined
  private pumping: Cancel | undefined
  private stopTimers: Cancel[] = []
  private lastDemoted = ''
  private started = false
  private rulesSeen: RuleSet | undefined
  private anyFactor = false
  /** A sweep of every blob has run to its end: `placed` is this site's view, not a partial one. */
  private swept = false

  constructor (private readonly c: PlacementKeeperComponents) {}

  /** Places every blob (the refs are loaded), then keeps placement current. */
  start (): void {
    this.started = true
    this.lastDemoted = this.demotedText()
    this.scheduleAll(false, 0) // nothing is placed yet: every blob placed here is wanted as new
    this.stopTimers = [
      every(this.c.timers, PLACEMENT_DOWN_CHECK_MS, () => { this.checkDemoted() }),
      every(this.c.timers, PLACEMENT_RESWEEP_MS, () => { this.scheduleAll(true) })
    ]
  }

  stop (): void {
    this.started = false
    for (const cancel of this.stopTimers) cancel()
    this.stopTimers = []
    this.sweepDue?.cancel()
    this.sweepDue = undefined
    this.pumping?.()
    this.pumping = undefined
    this.sweep = undefined
    this.queue.clear()
  }

  /** Whether this site is a holder of the blob of this digest hex (its bytes must stay). */
  isPlaced (hex: string): boolean {
    return this.placed.has(hex)
  }

  /**
   * Whether the bytes of this digest hex must stay here (the quota's question). Until a first sweep has
   * run to its end, every blob a key with a factor references: at a restart the quota trims, and the
   * mirror's first fetches are admitted, before placement has worked out what is placed here, and a
   * copy evicted then may be one of the few the factor keeps.
   */
  mustKeep (hex: string): boolean {
    if (this.placed.has(hex)) return true
    if (this.swept || !this.hasFactor()) return false
    const ref = this.c.refs.get(hex)
    if (ref === undefined) return false
    const rules = this.c.rules()
    for (const key of ref.keys()) if (rules.ruleFor(key)?.replicas !== undefined) return true
    return false
  }

  /** How many blobs this site holds for the factor. */
  get size (): number { return this.placed.size }

  /** The core's observer: a new winner of a key. Never does more than queue. */
  applied (event: Event): void {
    if (!this.started) return
    switch (event.body.kind) {
      case 'put':
        if (!this.hasFactor()) return
        if (this.queue.size >= MAX_PLACEMENT_QUEUE) {
          // A catch-up of many puts: one sweep covers them all, in bounded memory.
          this.queue.clear()
          this.scheduleAll(false)
          return
        }
        this.queue.add(hexOf(event.body.digest))
        this.kick()
        return
      case 'member': case 'revoke': case 'fault': case 'site': case 'rules':
        this.scheduleAll(false)
    }
  }

  /** A key's factor and holders as this site places them now; undefined without a `replicas` rule or a put. */
  forKey (key: string): KeyPlacement | undefined {
    return this.placeKey(key, undefined, this.c.members())
  }

  /** The holders of a blob over its keys with a factor (discovery asks them first), at most `max`. */
  holdersOf (hex: string, max: number): string[] {
    const ref = this.c.refs.get(hex)
    if (ref === undefined || !this.hasFactor()) return []
    const members = this.c.members()
    const out = new Set<string>()
    for (const key of ref.keys()) {
      for (const peer of this.placeKey(key, ref.digest, members)?.holders ?? []) out.add(peer)
      if (out.size >= max) break
    }
    return [...out].slice(0, max)
  }

  /** Places every blob again after a quiet time (`retry`: asks the mirror again for those placed here). */
  private scheduleAll (retry: boolean, delayMs = PLACEMENT_SWEEP_DEBOUNCE_MS): void {
    if (!this.started) return
    const now = this.c.timers.monoMs()
    const due = this.sweepDue
    if (due !== undefined) {
      due.retry ||= retry
      if (now - due.sinceMs >= PLACEMENT_SWEEP_DELAY_MS_MAX) return // put off long enough: it runs as armed
      due.cancel()
    }
    const sinceMs = due?.sinceMs ?? now
    const cancel = this.c.timers.after(delayMs, () => {
      const asked = this.sweepDue
      this.sweepDue = undefined
      this.stats.sweeps++
      // A sweep under way starts over: what it placed so far may have changed.
      this.sweep = { blobs: this.c.refs.all(), retry: (asked?.retry ?? retry) || (this.sweep?.retry ?? false) }
      this.kick()
    })
    this.sweepDue = { cancel, retry: due?.retry ?? retry, sinceMs }
  }

  private checkDemoted (): void {
    const now = this.demotedText()
    if (now === this.lastDemoted) return
    this.lastDemoted = now
    this.c.log.info('sites down past the grace changed: placing every blob again', { demoted: now === '' ? [] : now.split(',') })
    this.scheduleAll(false)
  }

  private demotedText (): string {
    return this.c.members().filter(m => m.demoted).map(m => m.peer).sort().join(',')
  }

  private kick (): void {
    if (this.pumping !== undefined || !this.started) return
    this.pumping = this.c.timers.after(0, () => {
      this.pumping = undefined
      this.slice()
    })
  }

  /** One slice of work: queued blobs first (new puts), then the sweep. */
  private slice (): void {
    if (!this.started) return
    const members = this.c.members()
    let budget = PLACEMENT_SLICE_KEYS
    for (const hex of this.queue) {
      if (budget <= 0) break
      this.queue.delete(hex)
      budget -= this.place(hex, members, false)
    }
    while (budget > 0 && this.sweep !== undefined) {
      const next = this.sweep.blobs.next()
      if (next.done === true) {
        this.sweep = undefined
        this.swept = true
        // A blob no live key references any more is never visited by a sweep: forget it here.
        for (const hex of this.placed) if (this.c.refs.get(hex) === undefined) this.placed.delete(hex)
        break
      }
      budget -= this.place(hexOf(next.value.digest), members, this.sweep.retry)
    }
    if (this.queue.size > 0 || this.sweep !== undefined) this.kick()
  }

  /** Places one blob; returns the keys it looked at (the slice's budget). */
  private place (hex: string, members: Members, retry: boolean): number {
    const ref = this.c.refs.get(hex)
    let here = false
    let looked = 1
    if (ref !== undefined && this.hasFactor()) {
      for (const key of ref.keys()) {
        looked++
        if (this.placeKey(key, ref.digest, members)?.holders.includes(this.c.selfId) === true) { here = true; break }
      }
    }
    this.stats.keysPlaced += looked
    if (!here) {
      this.placed.delete(hex)
      return looked
    }
    const fresh = !this.placed.has(hex)
    if (fresh) {
      this.placed.add(hex)
      this.stats.placed++
    }
    if (fresh || retry) this.c.want(hex)
    return looked
  }

  /** The placement of one key, if a `replicas` rule covers it and its winner is a put (of `digest`, when given). */
  private placeKey (key: string, digest: Uint8Array | undefined, members: Members): KeyPlacement | undefined {
    const target = this.c.rules().ruleFor(key)?.replicas
    if (target === undefined) return undefined
    const winner = this.c.winner(key)
    if (winner?.body.kind !== 'put') return undefined
    if (digest !== undefined && !equalBytes(winner.body.digest, digest)) return undefined
    const holders = placeHolders({
      digest: winner.body.digest,
      replicas: target,
      author: winner.author,
      members: members.map(m => ({ peer: m.peer, demoted: m.demoted, mode: this.c.modeOf(m.peer, key) }))
    })
    return { target, holders }
  }

  /** Whether any rule now sets a factor (if none, nothing is placed and puts cost nothing). */
  private hasFactor (): boolean {
    const rules = this.c.rules()
    if (rules !== this.rulesSeen) {
      this.rulesSeen = rules
      this.anyFactor = rules.rules.some(r => r.replicas !== undefined)
    }
    return this.anyFactor
  }
}
