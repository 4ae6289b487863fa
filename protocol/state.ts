// The replicated state: a last-writer-wins map from key to its winning event,
// tombstones included. The winner is the greatest (stamp, author, id): the
// stamp orders causally related writes, the author breaks ties between
// concurrent writes at the same stamp, and the id makes even an equivocating
// author's twin events order the same everywhere. Because `apply` keeps the
// maximum under a total order, it is commutative, associative and idempotent.
//
// With `retain` (a federation, where revocation can invalidate a winner after
// the fact — docs/federation.md) every version of a key is kept, sorted, until
// the collector decides the winner is stable; without it only the winner is.
//
// With a `judge` (rules that order keys: rule-fold.ts), the winner of an ordered key is whichever
// version the judge picks; its versions are kept as [winner, ...the rest greatest first].
//
// The digest is the XOR of the ids of every version held, kept incrementally:
// two replicas holding the same versions have the same digest whatever order
// they applied them in, and comparing it costs 32 bytes whatever the size.
//
// The keys are also kept in order (key-index.ts), so a page of live keys from a cursor
// (`page`: `ls`, GET /v1/keys?after=&limit=) costs about the page, not a sort of the state.

import { isConditional, type Event } from './event.js'
import { xorInto } from './bytes.js'
import { SealedEvent } from './compact-event.js'
import { KeyIndex } from './key-index.js'

/** Total order on events of one key: negative when a loses to b. */
export function compareVersions (a: Pick<Event, 'stamp' | 'author' | 'id'>, b: Pick<Event, 'stamp' | 'author' | 'id'>): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  for (let i = 0; i < a.id.length && i < b.id.length; i++) {
    if (a.id[i] !== b.id[i]) return a.id[i] - b.id[i]
  }
  return a.id.length - b.id.length
}

/** Picks the winner of keys under rules that order them (rule-fold.ts); other keys keep the greatest version. */
export interface Judge {
  orders: (key: string) => boolean
  /** The index of the winner among versions sorted greatest first. */
  winner: (versions: readonly Event[]) => number
}

export interface ApplyResult {
  /** The event is now the winner of its key. */
  won: boolean
  /** The winner it replaced (won) or the winner that beat it (lost). */
  other?: Event
  /** The event is now held (as winner, or as a retained older version). */
  stored: boolean
  /** Versions no longer held because of this apply (without retention: the loser). */
  dropped: Event[]
  /** Under rules only: the winner changed, but to a version other than this event (an admin's delete let a later create through). */
  newWinner?: Event
}

export interface RemoveResult {
  removed: boolean
  /** When the removed event was the winner: the version that wins now, if any. */
  newWinner?: Event
}

export class LwwState {
  /**
   * key → its versions held, best first ([0] is the winner); a key holding one version (nearly every
   * key) holds the event itself: a one-element array per key cost ~64 bytes each (issue #25).
   */
  private readonly keys = new Map<string, Event | Event[]>()
  /** The keys of `keys` in order; told of every key that enters or leaves it. */
  private readonly index = new KeyIndex(key => this.keys.has(key))
  private readonly acc = new Uint8Array(32)
  private puts = 0
  private tombstones = 0

  /** Rules that order keys are judged only with retention (a federation's: only admins write rules). */
  constructor (readonly retain = false, private readonly judge?: Judge) {}

  apply (event: Event): ApplyResult {
    const key = event.body.key
    const held = this.keys.get(key)
    if (held === undefined) {
      this.keys.set(key, event)
      this.index.add(key)
      this.hold(event)
      this.countWinner(event, +1)
      return { won: true, stored: true, dropped: [] }
    }
    const winner = Array.isArray(held) ? held[0] : held
    if (!this.retain) {
      // The common case (no federation): one version per key, one comparison.
      const order = compareVersions(event, winner)
      if (order <= 0) return { won: false, other: winner, stored: false, dropped: [] }
      if (Array.isArray(held)) held[0] = event
      else this.keys.set(key, event)
      this.release(winner)
      this.hold(event)
      this.countWinner(winner, -1)
      this.countWinner(event, +1)
      return { won: true, other: winner, stored: true, dropped: [winner] }
    }
    const versions = Array.isArray(held) ? held : [held]
    if (this.isJudged(key, versions, event)) return this.applyJudged(key, versions, event)
    let i = 0
    while (i < versions.length && compareVersions(versions[i], event) > 0) i++
    if (i < versions.length && compareVersions(versions[i], event) === 0) return { won: false, other: winner, stored: false, dropped: [] }
    versions.splice(i, 0, event)
    this.store(key, versions)
    this.hold(event)
    if (i > 0) return { won: false, other: winner, stored: true, dropped: [] }
    this.countWinner(winner, -1)
    this.countWinner(event, +1)
    return { won: true, other: winner, stored: true, dropped: [] }
  }

  /** An ordered key: insert, sort, and let the judge pick the winner. */
  private applyJudged (key: string, versions: Event[], event: Event): ApplyResult {
    const winner = versions[0]
    if (versions.some(v => compareVersions(v, event) === 0)) return { won: false, other: winner, stored: false, dropped: [] }
    this.hold(event)
    const now = this.rejudged(key, [...versions, event])
    if (now === winner) return { won: false, other: winner, stored: true, dropped: [] }
    this.countWinner(winner, -1)
    this.countWinner(now, +1)
    return now === event ? { won: true, other: winner, stored: true, dropped: [] } : { won: false, other: winner, stored: true, dropped: [], newWinner: now }
  }

  /** Sorts `versions`, puts the judge's winner first, stores them under `key`; returns the winner. */
  private rejudged (key: string, versions: Event[]): Event {
    versions.sort((a, b) => compareVersions(b, a))
    const w = this.judge !== undefined && this.isJudged(key, versions) ? this.judge.winner(versions) : 0
    if (w > 0) versions.unshift(...versions.splice(w, 1))
    this.store(key, versions)
    return versions[0]
  }

  /** Stores a key's versions (at least one): the event itself when there is one. */
  private store (key: string, versions: Event[]): void {
    this.keys.set(key, versions.length === 1 ? versions[0] : versions)
  }

  /** A key's versions, best first (a fresh array for a key holding one); undefined if it holds none. */
  private versionsOf (key: string): Event[] | undefined {
    const held = this.keys.get(key)
    return held === undefined ? undefined : Array.isArray(held) ? held : [held]
  }

  /**
   * Judges `key` again (the rules or a role changed). Returns the winner before and after, when it
   * changed; the caller tells its observers.
   */
  rejudge (key: string): { before: Event, after: Event } | undefined {
    const versions = this.keys.get(key)
    if (!Array.isArray(versions) || versions.length < 2) return undefined
    const before = versions[0]
    const after = this.rejudged(key, versions.slice())
    if (after === before) return undefined
    this.countWinner(before, -1)
    this.countWinner(after, +1)
    return { before, after }
  }

  /** Whether the judge picks `key`'s winner: rules order it, or a conditional delete is among its versions. */
  isJudged (key: string, versions: readonly Event[] = this.versionsOf(key) ?? [], incoming?: Event): boolean {
    if (this.judge === undefined) return false
    return this.judge.orders(key) || (incoming !== undefined && isConditional(incoming)) || versions.some(isConditional)
  }

  /** Every key held (for judging them all again). */
  * keyNames (): Generator<string> {
    yield * this.keys.keys()
  }

  /** Removes one held version (an invalidated event, or a collected one). */
  remove (event: Event): RemoveResult {
    const versions = this.versionsOf(event.body.key)
    const i = versions?.indexOf(event) ?? -1
    if (versions === undefined || i < 0) return { removed: false }
    versions.splice(i, 1)
    if (versions.length > 0) this.store(event.body.key, versions)
    this.release(event)
    if (versions.length > 0 && (this.isJudged(event.body.key, versions) || isConditional(event))) {
      const before = i === 0 ? event : versions[0]
      const after = this.rejudged(event.body.key, versions)
      if (after === before) return { removed: true }
      this.countWinner(before, -1)
      this.countWinner(after, +1)
      return { removed: true, newWinner: after }
    }
    if (i > 0) return { removed: true }
    this.countWinner(event, -1)
    if (versions.length === 0) {
      this.keys.delete(event.body.key)
      this.index.removed()
      return { removed: true }
    }
    this.countWinner(versions[0], +1)
    return { removed: true, newWinner: versions[0] }
  }

  /** The versions of a key that lost to its winner (held only with retention). */
  superseded (key: string): Event[] {
    const held = this.keys.get(key)
    return Array.isArray(held) ? held.slice(1) : []
  }

  /** superseded(key).length > 0, without the copy (asked after every apply). */
  hasSuperseded (key: string): boolean {
    const held = this.keys.get(key)
    return Array.isArray(held) && held.length > 1
  }

  get (key: string): Event | undefined {
    const held = this.keys.get(key)
    return Array.isArray(held) ? held[0] : held
  }

  /** Every winner, tombstones and system events included. */
  * winners (): Generator<Event> {
    for (const held of this.keys.values()) yield Array.isArray(held) ? held[0] : held
  }

  /** Live artifacts (puts) whose key starts with prefix, sorted by key. */
  live (prefix = ''): Event[] {
    return this.page(prefix).events
  }

  /**
   * Up to `limit` live artifacts (puts: tombstones and system events are not listed) whose key
   * starts with `prefix` and is greater than `after`, sorted by key; `more` when others follow.
   * The next page starts after the last key of this one. It costs O(log n) plus the keys read,
   * tombstones in the range included.
   */
  page (prefix = '', after?: string, limit = Infinity): { events: Event[], more: boolean } {
    const events: Event[] = []
    for (const key of this.index.from(prefix, after)) {
      const winner = this.get(key) as Event
      if (winner.body.kind !== 'put') continue
      if (events.length >= limit) return { events, more: true }
      events.push(winner)
    }
    return { events, more: false }
  }

  counts (): { keys: number, tombstones: number } {
    return { keys: this.puts, tombstones: this.tombstones }
  }

  digest (): Uint8Array {
    return this.acc.slice()
  }

  private hold (e: Event): void { xorInto(this.acc, e.id) }

  /**
   * A version leaves the state. A cooled one is warmed first (compact-event.ts): its removal from the
   * store is not durable yet, so it can still be read back, and whoever holds it (an observer, a
   * webhook queue) can read it later.
   */
  private release (e: Event): void {
    if (e instanceof SealedEvent) e.warm()
    xorInto(this.acc, e.id)
  }

  /** Whether `e` itself (not an equal copy) is a version held. */
  holds (e: Event): boolean {
    const held = this.keys.get(e.body.key)
    return held === e || (Array.isArray(held) && held.includes(e))
  }

  private countWinner (e: Event, delta: number): void {
    if (e.body.kind === 'put') this.puts += delta
    else if (e.body.kind === 'delete') this.tombstones += delta
  }
}
