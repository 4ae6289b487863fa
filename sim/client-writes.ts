// A client's write at one node, as the harness takes it: the node's own core
// accepts or refuses it (as the daemon's would), and an accepted write gets
// its record in the history, whose visibility tracking starts at once with
// the nodes that already hold it or something newer. The record is
// acknowledged when its batch is durable at its author (node.ts).

import { isMycelError } from '../protocol/errors.js'
import type { DeleteBody, Event, PutBody } from '../protocol/event.js'
import type { Adversary } from './federation/byzantine.js'
import type { History, WriteRecord } from './history.js'
import type { SimNode } from './node.js'
import type { RulesLog } from './rules-log.js'
import { compareVersion } from './version.js'

export interface ClientWritesComponents {
  /** The cluster's nodes, by index. */
  nodes: readonly SimNode[]
  now: () => number
  history: History
  /** Every key written: this adds to it. */
  keys: Set<string>
  /** Byzantine members by node index: each learns of its own writes. */
  adversaries: ReadonlyMap<number, Adversary>
  /** Members now (a write's audience). */
  memberCount: () => number
  /** Present in runs with rules only. */
  rulesLog: RulesLog | undefined
}

export class ClientWrites {
  constructor (private readonly c: ClientWritesComponents) {}

  /** A client write at node i; undefined when that node cannot take it (down, paused, gone). */
  write (i: number, body: PutBody | DeleteBody): WriteRecord | undefined {
    const { nodes, history } = this.c
    const node = nodes[i]
    if (node === undefined || node.status !== 'up') return undefined
    const now = this.c.now()
    const held = this.c.rulesLog === undefined ? undefined : node.replica?.get(body.key)
    let written: { event: Event, batch: number }
    try {
      written = node.write(body)
    } catch (err) {
      // A reader, a revoked member, a joiner not yet admitted, a delete the rules refuse it, a put over an
      // immutable key it holds (CONFLICT): its own core refuses, as the daemon's would.
      if (isMycelError(err, 'PERMISSION_DENIED') || isMycelError(err, 'CONFLICT')) return undefined
      throw err
    }
    // The very bytes an immutable key holds: no write at all, the core answers with the event it holds.
    if (held !== undefined && written.event === held) return undefined
    const { event, batch } = written
    this.c.adversaries.get(i)?.wrote(event)
    this.c.keys.add(body.key)
    const newest = history.raiseTop(body.key, event)
    const record = history.issue({
      node: i,
      author: event.author,
      seq: event.seq,
      id: event.id,
      key: body.key,
      kind: body.kind,
      conditional: body.kind === 'delete' && body.ifVersion !== undefined,
      stamp: event.stamp,
      issuedAtMs: now,
      audienceBelow: nodes.length,
      audience: this.c.memberCount()
    })
    this.c.rulesLog?.note(event, record)
    // The author now holds this version: older open writes of the key are visible here too.
    history.observe(i, body.key, event, now)
    if (record.tracked && newest) {
      // Nothing at or above it exists anywhere but here: looking at every node would find only its author.
      history.markSeen(record, i, now)
    } else if (record.tracked) {
      for (const n of nodes) {
        const v = n.replica?.get(body.key)
        if (v !== undefined && compareVersion(v, record) >= 0) history.markSeen(record, n.index, now)
      }
    }
    node.awaitAck(record, batch)
    return record
  }
}
