// `mycel where KEY`: for every member, whether it has the key's metadata (at
// which stamp) and its bytes. Metadata: a member has the winner (author, seq)
// iff its version vector covers it, read from the SyncTracker (its own report,
// or one relayed in the acks table); no report ⇒ metadata null with report
// 'none' (unknown). Bytes: this node from HoldingsSource.localProgress; others
// from HoldingsSource.holdersOf, absent ⇒ 'unknown'.

import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { formatStamp } from '../../protocol/hlc.js'
import { digestText } from '../blob/store.js'
import type { HoldingsSource } from './holdings.js'
import type { SyncTracker } from './peer-sync.js'
import type { SyncMember, WhereAnswer, WhereRow } from './types.js'

export interface WhereComponents {
  get: (key: string) => Event | undefined
  members: () => SyncMember[]
  sync: Pick<SyncTracker, 'coverage'>
  holdings: HoldingsSource
}

export async function where (c: WhereComponents, key: string): Promise<WhereAnswer> {
  const winner = c.get(key)
  if (winner === undefined || winner.body.kind !== 'put') throw new MycelError('NOT_FOUND', `no key ${key}`)
  const digest = winner.body.digest
  const stamp = formatStamp(winner.stamp)
  const [holders, local] = await Promise.all([c.holdings.holdersOf(digest), c.holdings.localProgress(digest)])
  const rows: WhereRow[] = c.members().map(m => {
    if (m.self) {
      return { peerId: m.peerId, ...(m.name === undefined ? {} : { name: m.name }), role: m.role, metadata: stamp, bytes: local.state, progress: local.progress ?? null, self: true, report: 'self' }
    }
    const cov = c.sync.coverage(m.peerId)
    const has = cov !== undefined && (cov.vv.get(winner.author) ?? 0) >= winner.seq
    const holding = holders.get(m.peerId)
    return {
      peerId: m.peerId,
      ...(m.name === undefined ? {} : { name: m.name }),
      role: m.role,
      metadata: has ? stamp : null,
      bytes: holding?.state ?? 'unknown',
      progress: holding?.progress ?? null,
      self: false,
      report: cov?.source ?? 'none'
    }
  })
  return { key, digest: digestText(digest), author: winner.author, seq: winner.seq, stamp, members: rows }
}
