// `mycel where KEY`: for every member, whether it has the key's metadata (at
// which stamp) and its bytes. Metadata: a member has the winner (author, seq)
// iff its version vector covers it, read from the SyncTracker (its own report,
// or one relayed in the acks table); no report ⇒ metadata null with report
// 'none' (unknown). Bytes: this node from HoldingsSource.localProgress; others
// from HoldingsSource.holdersOf, absent ⇒ 'unknown'. Under a `replicas` rule, the factor: its target,
// the sites placement chose (this node's view: daemon/blob/placement-keeper.ts) and how many members
// hold verified bytes — `held` rows only, so a site that says nothing is not counted.

import { MycelError } from '../../protocol/errors.js'
import type { Event } from '../../protocol/event.js'
import { formatStamp } from '../../protocol/hlc.js'
import { digestText } from '../blob/store.js'
import type { HoldingsSource } from './holdings.js'
import type { SyncTracker } from './peer-sync.js'
import type { SitePolicyView, SyncMember, WhereAnswer, WhereRow } from './types.js'

export interface WhereComponents {
  get: (key: string) => Event | undefined
  members: () => SyncMember[]
  sync: Pick<SyncTracker, 'coverage'>
  holdings: HoldingsSource
  /** A member's announced policy for a key and its groups (absent: none known). */
  siteOf?: (peerId: string, key: string) => SitePolicyView | undefined
  /** The key's replication factor and the holders chosen (undefined: no `replicas` rule for it). */
  placement?: (key: string) => { target: number, holders: string[] } | undefined
}

export async function where (c: WhereComponents, key: string): Promise<WhereAnswer> {
  const winner = c.get(key)
  if (winner === undefined || winner.body.kind !== 'put') throw new MycelError('NOT_FOUND', `no key ${key}`)
  const digest = winner.body.digest
  const stamp = formatStamp(winner.stamp)
  const [holders, local] = await Promise.all([c.holdings.holdersOf(digest), c.holdings.localProgress(digest)])
  const placement = c.placement?.(key)
  const rows: WhereRow[] = c.members().map(m => {
    const site = c.siteOf?.(m.peerId, key)
    const policy = { mode: site?.mode ?? null, groups: site?.groups ?? [], placed: placement === undefined ? null : placement.holders.includes(m.peerId) }
    if (m.self) {
      return { peerId: m.peerId, ...(m.name === undefined ? {} : { name: m.name }), role: m.role, metadata: stamp, bytes: local.state, progress: local.progress ?? null, self: true, report: 'self', ...policy }
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
      report: cov?.source ?? 'none',
      ...policy
    }
  })
  const replicas = placement === undefined ? null : { target: placement.target, actual: rows.filter(r => r.bytes === 'held').length, holders: placement.holders }
  return { key, digest: digestText(digest), author: winner.author, seq: winner.seq, stamp, members: rows, replicas }
}
