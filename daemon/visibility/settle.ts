// How far one write has settled: which members hold the event (author, seq) — from their version
// vectors, as `where` reads metadata — and what wins its key here now. `mycel rm --wait-replicas`
// polls it: the delete has reached N sites, or a concurrent write beat it (the rm lost, and says so).
// Unlike `where`, it answers for a key whose winner is a tombstone, or that has no winner at all.

import type { Event } from '../../protocol/event.js'
import { formatStamp } from '../../protocol/hlc.js'
import { digestText } from '../blob/store.js'
import type { SyncTracker } from './peer-sync.js'
import type { SyncMember } from './types.js'

export interface SettleComponents {
  get: (key: string) => Event | undefined
  members: () => SyncMember[]
  sync: Pick<SyncTracker, 'covers'>
  nameOf?: (peerId: string) => string | undefined
}

export interface SettleAnswer {
  key: string
  /** What wins the key here now (null: nothing held). */
  winner: { kind: 'put' | 'delete', author: string, authorName: string | null, seq: number, stamp: string, digest: string | null } | null
  /** Per member: does it hold the event? null = no report (unknown). */
  members: Array<{ peerId: string, name: string | null, self: boolean, has: boolean | null }>
}

export function settle (c: SettleComponents, key: string, author: string, seq: number): SettleAnswer {
  const w = c.get(key)
  const winner = w === undefined || (w.body.kind !== 'put' && w.body.kind !== 'delete')
    ? null
    : { kind: w.body.kind, author: w.author, authorName: c.nameOf?.(w.author) ?? null, seq: w.seq, stamp: formatStamp(w.stamp), digest: w.body.kind === 'put' ? digestText(w.body.digest) : null }
  return {
    key,
    winner,
    members: c.members().map(m => ({ peerId: m.peerId, name: m.name ?? null, self: m.self, has: m.self ? true : c.sync.covers(m.peerId, author, seq) ?? null }))
  }
}
