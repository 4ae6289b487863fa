// What one retention run deletes at a site (rules.ts: retention keep / maxAgeMs), judged from that
// site's own state: in each folder under a retention rule, the keys beyond the newest `keep` (by their
// winner's version) and the keys whose winner is older than `maxAgeMs` by the site's clock. Each
// becomes a conditional delete naming the winner the site saw (`ifVersion`), so a version published
// meanwhile anywhere is never deleted by it (rule-fold.ts). The simulator's stand-in for
// protocol/retention.ts, which another branch is writing: the same inputs, so swapping it in is
// changing the import in rules-workload.ts.
//
// A key's folder is everything up to its last '/' ("snap/a/3" is in "snap/a/"). A key is this rule's
// only if the rule is the one that decides for it (the longest prefix): rules are not merged.

import type { Event } from '../protocol/event.js'
import { wallOf } from '../protocol/hlc.js'
import type { RuleSet } from '../protocol/rules.js'
import { compareVersions } from '../protocol/state.js'

export interface RetentionDelete { key: string, ifVersion: Uint8Array }

/** The folder a key is in: everything up to its last '/'. */
export function folderOf (key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1)
}

/** `live(prefix)`: the site's live winners (puts) under a prefix. */
export function planRetention (rules: RuleSet, live: (prefix: string) => readonly Event[], nowWallMs: number): RetentionDelete[] {
  const out: RetentionDelete[] = []
  for (const rule of rules.rules) {
    const r = rule.retention
    if (r === undefined) continue
    const folders = new Map<string, Event[]>()
    for (const e of live(rule.prefix)) {
      if (rules.ruleFor(e.body.key) !== rule) continue
      const f = folderOf(e.body.key)
      const list = folders.get(f)
      if (list === undefined) folders.set(f, [e])
      else list.push(e)
    }
    for (const list of folders.values()) {
      list.sort((a, b) => compareVersions(b, a))
      list.forEach((e, i) => {
        const beyondKeep = r.keep !== undefined && i >= r.keep
        const tooOld = r.maxAgeMs !== undefined && wallOf(e.stamp) + r.maxAgeMs < nowWallMs
        if (beyondKeep || tooOld) out.push({ key: e.body.key, ifVersion: e.id })
      })
    }
  }
  return out
}
