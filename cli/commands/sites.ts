// `mycel sites`: every member's health as this node sees it (GET /v1/sites): connected, unreachable
// since when, or never seen; its true lag (from its last report, also while it is down); its
// announced policy and groups. The table a person reads; --json for scripts.
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { SiteRow } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

export const sites: Command = {
  name: 'sites',
  summary: 'list every site: connected or down since when, lag, policy and groups',
  options: {},
  details: `As this node sees them. A site is unreachable once it has been disconnected for 3 s (config
siteDownAfterMs); behind once it lacks events held here for 60 s or 1000 of them (siteBehindMs,
siteBehindEvents); the events site-down, site-up and site-behind go to watch and webhooks.
Every site also gossips a signed report of itself (what it sees, holds and lacks), so each row shows
the site's own report (LACKS: keys its policy says it should mirror but it lacks) and what the other
sites see of it, each with its age — also for a site this node cannot reach.
--json prints [{ peerId, name, self, role, state, sinceMs, lastSeenMs, lag, behind, reportAgeMs, mode,
groups, report, seenBy, reach }]: state is connected | unreachable | never-seen (no session with it ever, as
far as this node knows; peers.json remembers across restarts); lag is { lag, behind, ahead, lagMs } from the site's last report (null until it
reported; ahead: events it lacks of ours); report is { ageMs, holdings: { heldBlobs, heldBytes,
missingKeys, missingBytes, full? } | null, connected, of } | null (full: its disk quota is full); seenBy is [{ by, byName, state, lag, ageMs }];
reach is direct | relayed (through a member relay: a site behind NAT) while connected, else null.`,
  async run (ctx) {
    const list = await (await client(ctx)).call<SiteRow[]>('GET', '/v1/sites')
    if (wantsJson(ctx)) {
      printJson(ctx, list)
      return EXIT.OK
    }
    const now = Date.now()
    const rows = list.map(s => [
      (s.name ?? s.peerId.slice(-12)) + (s.self ? ' (this node)' : ''),
      stateText(s, now),
      s.self ? '-' : s.lag === null ? 'unknown' : s.lag.ahead === 0 ? 'in sync' : `${s.lag.ahead} events, ${ago(s.lag.lagMs)}${s.behind ? ' (behind)' : ''}`,
      s.mode ?? '-',
      s.groups.join(',') || '-',
      s.role ?? '-',
      missingText(s),
      othersText(s),
      s.reach ?? '-'
    ])
    // REACH last: the columns before it are read by scripts that predate it.
    const header = ['SITE', 'STATE', 'LAG', 'POLICY', 'GROUPS', 'ROLE', 'LACKS (OWN REPORT)', 'OTHERS SEE IT', 'REACH']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] as string).length)))
    for (const r of [header, ...rows]) ctx.out.write(r.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd() + '\n')
    return EXIT.OK
  }
}

/** From the site's own report: what its policy says it should hold but lacks, and the report's age. */
function missingText (s: SiteRow): string {
  const h = s.report?.holdings
  if (s.report === null || h === undefined || h === null) return '-'
  const lacks = h.missingKeys === 0 ? 'nothing' : `${h.missingKeys} keys, ${bytesText(h.missingBytes)}`
  // Its disk quota is full: the replication factor places copies on other sites first (docs/rules.md).
  return `${lacks}${h.full === true ? ', disk quota full' : ''} (${ago(s.report.ageMs)} ago)`
}

/** The other sites' reports of this one: how many see it connected. */
function othersText (s: SiteRow): string {
  if (s.seenBy.length === 0) return '-'
  const up = s.seenBy.filter(v => v.state === 'connected').length
  return `${up} of ${s.seenBy.length} connected`
}

/** Bytes as a person reads them: 512 B, 3.2 KiB, 41.0 MiB, 1.5 GiB. */
export function bytesText (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i] as string}`
}

function stateText (s: SiteRow, now: number): string {
  if (s.self || s.state === 'connected') return 'connected'
  if (s.state === 'never-seen') return 'never seen'
  return `unreachable for ${ago(now - (s.sinceMs ?? now))}`
}

/** A duration as a person reads it: 850 ms, 12 s, 4 min, 3 h, 2 d. */
export function ago (ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`
  return `${Math.round(ms / 86_400_000)} d`
}
