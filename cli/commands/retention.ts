// `mycel retention`: the dry run of the federation's retention rules (`plan`: what a run would delete
// now, why, and which site runs each rule) and a run now from this site (`run`), through
// /v1/retention/plan and /v1/retention/run. docs/rules.md, "Retention", is the operator's page.
import { formatDuration } from '../../protocol/duration.js'
import { MycelError } from '../../protocol/errors.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { readRulesFile } from '../rules-file.js'
import type { RetentionDeleteInfo, RetentionPlanInfo, RetentionRuleInfo, RetentionRunInfo, RetentionRunSummary } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'
import { ago } from './sites.js'

const ACTIONS = ['plan', 'run'] as const

export const retention: Command = {
  name: 'retention',
  summary: 'show what the retention rules would delete now (plan), or run them now from this site (run)',
  positionals: [
    { name: 'ACTION', description: 'plan (a dry run: nothing is deleted) or run', choices: ACTIONS },
    { name: 'PREFIX', description: 'only keys under this prefix (their folders are still ranked whole)', optional: true }
  ],
  options: {
    rules: { type: 'string', value: 'FILE', description: 'plan: under the rules in FILE ({"rules":[...]}, as `mycel rules set` takes) instead of those in force', path: 'file' }
  },
  details: `Retention rules keep the newest \`keep\` keys of each folder (a key's folder is the key up to its last
'/'), ordered by the stamp of their publication, and/or none older than \`maxAge\`; with both, a key goes
only if neither keeps it. One site runs each rule (every retentionIntervalMs, 60 s by default): the first
member, in an order every site computes alike, whose role may delete under the rule and that this site
believes up. \`run\` runs every rule this site's role may delete under, now, whoever the runner is: the
deletes are the same from any site, and each names the version it deletes, so one published meanwhile
stays. At most 1000 deletes a run; the rest are the next run's.
Exit code 5 for \`run\` from a reader, or from a writer when only admins may delete under the rules.
--json: plan { atMs, given, rules: [{ prefix, keep, maxAgeMs, deletes, keys, folders, due, runner:
{ peerId, name, self } | null, candidates, blocked, runsHere }], deletes: [{ key, version, stamp, author,
rule, folder, rank, ageMs, reasons }], more, lastRun: { atMs, trigger, deleted, skipped, more, error } |
null }; run { atMs, rules, deleted: [...as deletes], skipped: [{ key, reason }], more }.`,
  async run (ctx) {
    const [action, prefix] = ctx.positionals
    const query: Array<[string, string]> = prefix === undefined ? [] : [['prefix', prefix]]
    switch (action) {
      case 'plan': {
        const file = ctx.options.rules as string | undefined
        const api = await client(ctx)
        const plan = file === undefined
          ? await api.call<RetentionPlanInfo>('GET', '/v1/retention/plan', { query })
          : await api.call<RetentionPlanInfo>('POST', '/v1/retention/plan', { query, body: await readRulesFile(file, ctx.stdin) })
        if (wantsJson(ctx)) printJson(ctx, plan)
        else ctx.out.write(planText(plan))
        return EXIT.OK
      }
      case 'run': {
        if (ctx.options.rules !== undefined) throw MycelError.usage('--rules is for plan: a run applies the rules in force')
        const result = await (await client(ctx)).call<RetentionRunInfo>('POST', '/v1/retention/run', { query })
        if (wantsJson(ctx)) printJson(ctx, result)
        else ctx.out.write(runText(result))
        return EXIT.OK
      }
      default:
        throw MycelError.usage(action === undefined ? `retention needs an action: ${ACTIONS.join(' or ')}` : `unknown action ${action}: one of ${ACTIONS.join(', ')}`)
    }
  }
}

/** The rules as a table, then what a run would delete, then this site's last run. */
export function planText (plan: RetentionPlanInfo): string {
  if (plan.rules.length === 0) return `no retention rules${plan.given ? ' in the given rules' : ' (mycel rules shows the rules in force)'}\n`
  const lines = [...rulesTable(plan.rules), '']
  if (plan.deletes.length === 0) lines.push('nothing to delete')
  else {
    lines.push(`would delete ${plan.deletes.length} key${plan.deletes.length === 1 ? '' : 's'}${plan.more > 0 ? ` now, and ${plan.more} more in later runs (at most 1000 a run)` : ''}:`)
    lines.push(...deleteLines(plan.deletes, plan.rules))
  }
  if (!plan.given) lines.push('', `last run here: ${lastRunText(plan.lastRun, plan.atMs)}`)
  return lines.join('\n') + '\n'
}

export function runText (r: RetentionRunInfo): string {
  const lines: string[] = []
  if (r.deleted.length === 0) lines.push('deleted nothing')
  else lines.push(`deleted ${r.deleted.length} key${r.deleted.length === 1 ? '' : 's'}:`, ...deleteLines(r.deleted, r.rules))
  for (const s of r.skipped) lines.push(`skipped ${s.key}: ${s.reason}`)
  for (const rule of r.rules) {
    if (!rule.runsHere && rule.due > 0) lines.push(`not run here: ${rule.prefix} (${rule.blocked ?? `only an admin may delete under it; ${rule.runner === null ? 'no admin is up' : `it runs at ${siteText(rule.runner)}`}`})`)
  }
  if (r.more > 0) lines.push(`${r.more} more due: the next run continues`)
  return lines.join('\n') + '\n'
}

function rulesTable (rules: RetentionRuleInfo[]): string[] {
  const rows = rules.map(r => [
    r.prefix === '' ? '(every key)' : r.prefix,
    r.keep === null ? '-' : String(r.keep),
    r.maxAgeMs === null ? '-' : formatDuration(r.maxAgeMs),
    `${r.keys} in ${r.folders} folder${r.folders === 1 ? '' : 's'}`,
    String(r.due),
    r.blocked !== null ? `none: ${r.blocked}` : r.runner === null ? '-' : siteText(r.runner)
  ])
  const header = ['RULE', 'KEEP', 'MAX AGE', 'KEYS', 'DUE', 'RUNNER']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] as string).length)))
  return [header, ...rows].map(r => r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd())
}

function deleteLines (deletes: RetentionDeleteInfo[], rules: RetentionRuleInfo[]): string[] {
  const width = Math.max(...deletes.map(d => d.key.length))
  return deletes.map(d => `  ${d.key.padEnd(width)}  #${d.rank} in ${d.folder}, ${d.ageMs < 0 ? 'stamped ahead of this clock' : `${ago(d.ageMs)} old`}  ${whyText(d, rules.find(r => r.prefix === d.rule))}`)
}

function whyText (d: RetentionDeleteInfo, rule: RetentionRuleInfo | undefined): string {
  const why = d.reasons.map(reason => reason === 'keep' ? `beyond the newest ${rule?.keep ?? '?'}` : `older than ${rule?.maxAgeMs == null ? '?' : formatDuration(rule.maxAgeMs)}`)
  return `(${why.join(' and ')})`
}

function siteText (s: { peerId: string, name: string | null, self: boolean }): string {
  return `${s.name ?? s.peerId.slice(-12)}${s.self ? ' (this node)' : ''}`
}

function lastRunText (run: RetentionRunSummary | null, nowMs: number): string {
  if (run === null) return 'none since the daemon started'
  const what = `deleted ${run.deleted}${run.skipped > 0 ? `, skipped ${run.skipped}` : ''}${run.error === null ? '' : `, stopped: ${run.error}`}`
  return `${ago(Math.max(0, nowMs - run.atMs))} ago (${run.trigger}): ${what}`
}
