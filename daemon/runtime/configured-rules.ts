// The config file's artifact rules, applied by an admin at start (runtime.ts).
import type { LocalNode } from '../api/local-node.js'
import type { Logger } from '../log.js'
import type { Rule } from '../../protocol/rules.js'

/**
 * The config file's `rules` (docs/rules.md): written when this site is an admin and they differ from
 * the rules in force (setRules writes nothing otherwise); a site that is not an admin says why it
 * cannot. Two admins whose files disagree overwrite each other at every start: keep rules in one file.
 */
export async function applyConfiguredRules (node: LocalNode, rules: Rule[], log: Logger): Promise<void> {
  const role = node.status().role
  if (role !== 'admin') {
    log.warn('the config file\'s rules are not applied: only an admin sets the federation\'s rules', { role })
    return
  }
  try {
    const info = await node.setRules(rules)
    log.info('rules in force', { rules: info.rules.length, author: info.author, stamp: info.stamp })
  } catch (err) {
    log.error('could not apply the config file\'s rules', { error: (err as Error).message })
  }
}
