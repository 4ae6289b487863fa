// `mycel rules`: the federation's artifact rules (GET /v1/rules), and `mycel rules set FILE` to
// replace them (PUT /v1/rules; an admin only). docs/rules.md is the rule language's page.
import { MycelError } from '../../protocol/errors.js'
import type { Rule } from '../../protocol/rules.js'
import { formatDuration } from '../../protocol/duration.js'
import type { Command } from '../command.js'
import { readRulesFile } from '../rules-file.js'
import { EXIT } from '../exit-codes.js'
import type { RulesInfo } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

const ACTIONS = ['show', 'set'] as const

export const rules: Command = {
  name: 'rules',
  summary: 'show the federation\'s artifact rules, or set them (an admin): immutable keys, replicas, retention',
  positionals: [
    { name: 'ACTION', description: 'show (default) or set', optional: true, choices: ACTIONS },
    { name: 'FILE', description: 'set: a JSON file {"rules": [...]}, or - for stdin', optional: true, path: 'file' }
  ],
  options: {},
  details: `A rule applies to the keys under its prefix; the longest matching prefix decides, as a whole.
  {"rules": [
    {"prefix": "releases/",  "immutable": true, "replicas": 3},
    {"prefix": "snapshots/", "retention": {"keep": 10, "maxAge": "30d"}, "replicas": 2},
    {"prefix": "models/",    "immutable": true, "deletes": "refuse"}
  ]}
Fields: immutable (a key is created once), deletes (allow | admin | refuse; default admin under
immutable, else allow), replicas (at least N sites hold the bytes), retention (keep the newest N keys of
each folder and/or those younger than maxAge; a key goes once none keeps it). Setting rules replaces the
whole set; every site enforces the same rules (docs/rules.md). --json: { rules, author, authorName, stamp }.`,
  async run (ctx) {
    const [action = 'show', file] = ctx.positionals
    const api = await client(ctx)
    let info: RulesInfo
    if (action === 'show') {
      info = await api.call<RulesInfo>('GET', '/v1/rules')
    } else if (action === 'set') {
      if (file === undefined) throw MycelError.usage('set needs a file: mycel rules set rules.json (or - for stdin)')
      info = await api.call<RulesInfo>('PUT', '/v1/rules', { body: await readRulesFile(file, ctx.stdin) })
    } else {
      throw MycelError.usage(`unknown action ${String(action)}: one of ${ACTIONS.join(', ')}`)
    }
    if (wantsJson(ctx)) printJson(ctx, info)
    else ctx.out.write(rulesText(info))
    return EXIT.OK
  }
}

function rulesText (info: RulesInfo): string {
  if (info.rules.length === 0) return 'no rules: every key is mutable, deletable by writers, replicated by each site\'s policy\n'
  const by = info.author === null ? '' : `set by ${info.authorName ?? info.author} at ${info.stamp ?? '?'}\n`
  return by + info.rules.map(ruleLine).join('\n') + '\n'
}

function ruleLine (r: Rule): string {
  const parts: string[] = []
  if (r.immutable === true) parts.push('immutable')
  if (r.deletes !== undefined) parts.push(`deletes: ${r.deletes}`)
  else if (r.immutable === true) parts.push('deletes: admin')
  if (r.replicas !== undefined) parts.push(`replicas: ${r.replicas}`)
  if (r.retention !== undefined) {
    const keep = r.retention.keep === undefined ? [] : [`keep ${r.retention.keep}`]
    const age = r.retention.maxAgeMs === undefined ? [] : [`max age ${formatDuration(r.retention.maxAgeMs)}`]
    parts.push(`retention: ${[...keep, ...age].join(', ')}`)
  }
  return `${r.prefix === '' ? '(every key)' : r.prefix}  ${parts.length === 0 ? '(no constraint)' : parts.join('  ')}`
}
