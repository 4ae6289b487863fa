// Retention deletes only what it should (rules.ts, retention; the deletes are protocol/retention.ts's,
// each conditional on the version its runner saw). Two checks:
//
// 1. A conditional delete counts only against the version it names. On every honest node, a
//    conditional delete that wins names a version of its key issued below it; and for every key
//    holding one, whose versions are all honest, the winner is what the reference fold
//    (fold-spec.ts) makes of every version issued: a version published while retention ran stays.
//
// 2. Retention never deletes a key it should keep. In the converged state (the reference fold of
//    every key, which check 1 ties to the nodes'), rank each folder under a retention rule: its live
//    keys by their winner, and the keys a retention delete removed by the version that delete named
//    (what its runner saw). None of the newest `keep` may be a removed one. This holds for an honest
//    planner: it removes a key only while `keep` newer keys are live in its view, and each of those
//    ends live with a version at least as new, or removed by retention against a version at least as
//    new (puts only replace, and a conditional delete counts only against the current version). The
//    argument needs the folder's versions to stay valid and retention's deletes to be its only ones:
//    a folder holding a Byzantine member's version, one beyond a revocation cut, or a user's delete
//    is skipped (the rules workload writes neither there), and `keep` must not change during the run.

import type { Event } from '../../protocol/event.js'
import type { RulesLog } from '../rules-log.js'
import { folderOf } from '../../protocol/retention.js'
import { compareVersion } from '../version.js'
import { agrees, sameId, specWinner } from './fold-spec.js'
import { foldContext, show, valid } from './immutable.js'
import { representatives, type NodeView, type Violation } from './types.js'

export function checkRetention (nodes: NodeView[], log: RulesLog, byzantine: ReadonlySet<string>): Violation[] {
  const out: Violation[] = []
  const reps = representatives(nodes)
  for (const node of reps) {
    const m = node.members?.()
    const ctx = foldContext(log, m)
    for (const [key, issued] of log.versions) {
      const winner = node.get(key)
      if (winner?.body.kind === 'delete' && winner.body.ifVersion !== undefined) {
        const named = winner.body.ifVersion
        if (!issued.some(v => sameId(v.event.id, named) && compareVersion(v.event, winner) < 0)) {
          out.push({ check: 'retention', node: node.id, key, message: `${show(winner)} removed ${key}, naming a version never issued below it` })
        }
      }
      if (!issued.some(v => isConditional(v.event)) || issued.some(v => byzantine.has(v.event.author))) continue
      const versions = log.existing(key).filter(e => valid(e, m))
      const expected = specWinner(versions, ctx)
      if (agrees(winner, expected)) continue
      const why = winner !== undefined && isConditional(winner) ? ', though the version before it is not the one it names' : ''
      out.push({ check: 'retention', node: node.id, key, message: `${key}: ${node.id} ends with ${show(winner)}${why}; the fold of every version issued gives ${show(expected)}` })
    }
  }
  const m = reps[0]?.members?.()
  return [...out, ...checkKeep(log, byzantine, (e: Event) => valid(e, m), foldContext(log, m))]
}

interface Entry { key: string, rank: Event, removedBy?: Event }

function checkKeep (log: RulesLog, byzantine: ReadonlySet<string>, isValid: (e: Event) => boolean, ctx: ReturnType<typeof foldContext>): Violation[] {
  const rules = log.current()
  const folders = new Map<string, { keep: number, keys: string[] }>()
  for (const key of log.versions.keys()) {
    const rule = rules.ruleFor(key)
    const keep = rule?.retention?.keep
    if (rule === undefined || keep === undefined) continue
    const f = folderOf(key, rule.prefix)
    const entry = folders.get(f)
    if (entry === undefined) folders.set(f, { keep, keys: [key] })
    else entry.keys.push(key)
  }
  const out: Violation[] = []
  for (const [folder, { keep, keys }] of folders) {
    const issued = keys.flatMap(k => log.versions.get(k) ?? [])
    if (issued.some(v => byzantine.has(v.event.author) || !isValid(v.event) || (v.event.body.kind === 'delete' && !isConditional(v.event)))) continue
    const entries: Entry[] = []
    for (const key of keys) {
      const versions = log.existing(key)
      const w = specWinner(versions, ctx)
      if (w?.body.kind === 'put') entries.push({ key, rank: w })
      else if (w?.body.kind === 'delete' && w.body.ifVersion !== undefined) {
        const named = w.body.ifVersion
        const v = versions.find(e => sameId(e.id, named))
        if (v !== undefined) entries.push({ key, rank: v, removedBy: w })
      }
    }
    // The planner's order (protocol/retention.ts): newest first by stamp, then the greater key.
    entries.sort((a, b) => a.rank.stamp !== b.rank.stamp ? (a.rank.stamp > b.rank.stamp ? -1 : 1) : (a.key > b.key ? -1 : a.key < b.key ? 1 : 0))
    for (const e of entries.slice(0, keep)) {
      if (e.removedBy === undefined) continue
      out.push({ check: 'retention', key: e.key, message: `retention's ${show(e.removedBy)} removed ${e.key}, which is among the newest ${keep} of ${folder} (${entries.slice(0, keep + 1).map(x => `${x.key}${x.removedBy === undefined ? '' : ' (removed)'}`).join(', ')})` })
    }
  }
  return out
}

function isConditional (e: Event): boolean {
  return e.body.kind === 'delete' && e.body.ifVersion !== undefined
}
