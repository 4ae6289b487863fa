// The replicated state: a last-writer-wins map from key to its winning event,
// tombstones included. The winner is the greatest (stamp, author, id): the
// stamp orders causally related writes, the author breaks ties between
// concurrent writes at the same stamp, and the id makes even an equivocating
// author's twin events order the same everywhere. Because `apply` keeps the
// maximum under a total order, it is commutative, associative and idempotent.
//
// The digest is the XOR of the winners' ids, kept incrementally: two replicas
// with the same winners have the same digest whatever order they applied
// events in, and comparing it costs 32 bytes whatever the number of keys.

import type { Event } from './event.js'

/** Total order on events of one key: negative when a loses to b. */
export function compareVersions (a: Pick<Event, 'stamp' | 'author' | 'id'>, b: Pick<Event, 'stamp' | 'author' | 'id'>): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  for (let i = 0; i < a.id.length && i < b.id.length; i++) {
    if (a.id[i] !== b.id[i]) return a.id[i] - b.id[i]
  }
  return a.id.length - b.id.length
}

export interface ApplyResult {
  /** The event is now the winner of its key. */
  won: boolean
  /** The winner it replaced (won) or the winner that beat it (lost). */
  other?: Event
}

export class LwwState {
  private readonly winners = new Map<string, Event>()
  private readonly acc = new Uint8Array(32)
  private tombstoneCount = 0

  apply (event: Event): ApplyResult {
    const current = this.winners.get(event.body.key)
    if (current !== undefined) {
      const order = compareVersions(event, current)
      if (order <= 0) return { won: false, other: current }
      this.unset(current)
    }
    this.set(event)
    return { won: true, other: current }
  }

  /** Removes a key's winner outright (tombstone collection). */
  drop (event: Event): boolean {
    const current = this.winners.get(event.body.key)
    if (current !== event) return false
    this.unset(current)
    this.winners.delete(event.body.key)
    return true
  }

  get (key: string): Event | undefined {
    return this.winners.get(key)
  }

  /** Every winner, tombstones included, in insertion order. */
  all (): IterableIterator<Event> {
    return this.winners.values()
  }

  live (prefix = ''): Event[] {
    const out: Event[] = []
    for (const [key, e] of this.winners) {
      if (e.body.kind !== 'delete' && key.startsWith(prefix)) out.push(e)
    }
    return out.sort((a, b) => (a.body.key < b.body.key ? -1 : a.body.key > b.body.key ? 1 : 0))
  }

  counts (): { keys: number, tombstones: number } {
    return { keys: this.winners.size - this.tombstoneCount, tombstones: this.tombstoneCount }
  }

  digest (): Uint8Array {
    return this.acc.slice()
  }

  private set (e: Event): void {
    this.winners.set(e.body.key, e)
    xorInto(this.acc, e.id)
    if (e.body.kind === 'delete') this.tombstoneCount++
  }

  private unset (e: Event): void {
    xorInto(this.acc, e.id)
    if (e.body.kind === 'delete') this.tombstoneCount--
  }
}

function xorInto (acc: Uint8Array, id: Uint8Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] ^= id[i] ?? 0
}
