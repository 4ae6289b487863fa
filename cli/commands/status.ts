// `mycel status`: this node, its peers and their sync state (status-sync.ts merges the two answers).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { MemberInfo, PeerSync, QuotaView, SiteRow, StatusInfo, WebhookInfo } from '../../daemon/api/contract.js'
import { ago, bytesText } from './sites.js'
import { client, printJson, wantsJson } from './shared.js'
import { peerSyncLines, statusPageUrl, mergePeerSync } from '../status-sync.js'
import { usesColour, warningText } from '../terminal.js'

export const status: Command = {
  name: 'status',
  summary: 'show this node: peer id, federation, addresses, peers and their lag, key counts',
  options: {
    ui: { type: 'boolean', description: 'print the status page URL (with this node\'s API token in its #fragment) and exit' }
  },
  details: "With a disk quota (`mycel daemon --quota`), a line with the bytes used of it and the blobs evicted, and a warning while it refuses new bytes (--json: `quota`, null without one). With webhooks configured, a line per webhook with deliveries pending, and a warning when its queue is full (--json: `webhooks`, the rows of `mycel webhooks --json`). Members not connected are listed as sites (--json: `sites`, the rows of `mycel sites --json`); members suspended by a fault proof as a warning (--json: `suspended` [{ peerId, name, fromSeq }]). Each connected peer is marked direct or relayed (through a member relay: a site behind NAT; --json: `reach`). A peer's lag is the number of events by which it and this node differ (sum over authors of the gap between version vectors), as of its last report; '?' until it has reported, 0 when in sync.",
  async run (ctx) {
    const api = await client(ctx)
    if (ctx.options.ui === true) {
      ctx.out.write(await statusPageUrl(api) + '\n')
      return EXIT.OK
    }
    // Five questions at once, not one after another: they are independent, and each is a round trip (#22).
    const [status, sync, hooks, sites, members] = await Promise.all([
      api.call<StatusInfo>('GET', '/v1/status'),
      api.call<PeerSync[]>('GET', '/v1/sync'),
      api.call<WebhookInfo[]>('GET', '/v1/webhooks'),
      api.call<SiteRow[]>('GET', '/v1/sites'),
      api.call<MemberInfo[]>('GET', '/v1/members')
    ])
    const s = mergePeerSync(status, sync)
    // Members a fault proof suspended (docs/federation.md): an operator must not miss one.
    const suspended = members.filter(m => m.suspended !== null)
      .map(m => ({ peerId: m.peerId, name: m.name, fromSeq: (m.suspended as { fromSeq: number }).fromSeq }))
    if (wantsJson(ctx)) {
      printJson(ctx, { ...s, webhooks: hooks, sites, suspended })
      return EXIT.OK
    }
    const lines = [
      `site        ${s.name}`,
      `peer id     ${s.peerId}`,
      `federation  ${s.federation}`,
      `role        ${s.role ?? 'not a member'}`,
      `api         ${s.api}`,
      `listen      ${s.listen.join('\n            ')}`,
      `keys        ${s.keys} (${s.tombstones} tombstones)`,
      ...quotaLines(s.quota ?? null, usesColour(ctx)),
      `peers       ${s.peers.length} connected`,
      ...peerSyncLines(s.peers, usesColour(ctx)),
      ...downLines(sites, usesColour(ctx)),
      ...suspended.map(m => warningText(`suspended   ${m.name ?? m.peerId}: signed a contradiction at its event ${m.fromSeq}; its events from there on are void (mycel members)`, usesColour(ctx))),
      ...webhookLines(hooks, usesColour(ctx))
    ]
    ctx.out.write(lines.join('\n') + '\n')
    return EXIT.OK
  }
}

/** A refusal this recent is a warning in `status`; an older one only counts. */
const RECENT_REFUSAL_MS = 10 * 60_000

/**
 * The disk quota: used of the limit, evictions and refusals, and a warning while it is over (bytes
 * published here are never evicted, so a site can be) or has refused new bytes in the last minutes.
 */
export function quotaLines (q: QuotaView | null, colour: boolean, nowMs = Date.now()): string[] {
  if (q === null) return []
  const pct = Math.floor(q.usedBytes * 100 / q.quotaBytes)
  const refused = q.refusedFetches + q.refusedMirrors
  const lines = [`quota       ${bytesText(q.usedBytes)} of ${bytesText(q.quotaBytes)} used (${pct}%, ${q.blobs} blobs` +
    `${q.downloadingBytes > 0 ? `, ${bytesText(q.downloadingBytes)} for downloads` : ''}); ${q.evictions} evicted (${bytesText(q.evictedBytes)})` +
    `${refused > 0 ? `; ${refused} refused` : ''}`]
  if (q.usedBytes > q.quotaBytes) lines.push('  ' + warningText(`WARNING: over the quota by ${bytesText(q.usedBytes - q.quotaBytes)}, and nothing more may be evicted (bytes published here are never evicted)`, colour))
  const last = q.lastRefusal
  if (last !== null && nowMs - last.atMs < RECENT_REFUSAL_MS) {
    const what = last.by === 'mirror' ? 'the mirror (it retries with backoff)' : 'a fetch'
    lines.push('  ' + warningText(`WARNING: quota full: refused ${bytesText(last.bytes)} of ${last.digest.slice(0, 19)}… to ${what} ${ago(nowMs - last.atMs)} ago (${q.refusedFetches} fetches, ${q.refusedMirrors} mirror fetches refused in all)`, colour))
  }
  return lines
}

/** Members that are not connected: a down site must not vanish from status (`mycel sites` has them all). */
function downLines (sites: SiteRow[], colour: boolean): string[] {
  const now = Date.now()
  const down = sites.filter(x => !x.self && x.state !== 'connected')
  if (down.length === 0) return []
  return [`sites       ${down.length} not connected (mycel sites)`, ...down.map(x => '  ' + warningText(
    `${x.name ?? x.peerId} ${x.state === 'unreachable' ? `unreachable for ${ago(now - (x.sinceMs ?? now))}` : 'never connected'}` +
    (x.lag === null ? ', lag unknown' : `, lacks ${x.lag.ahead} events`), colour))]
}

/** One line per webhook with something waiting; a full queue is a warning (its oldest deliveries are being dropped). */
function webhookLines (hooks: WebhookInfo[], colour: boolean): string[] {
  if (hooks.length === 0) return []
  const lines = [`webhooks    ${hooks.length} (${hooks.reduce((n, w) => n + w.pending, 0)} deliveries pending; mycel webhooks)`]
  for (const w of hooks) {
    if (w.pending === 0 && !w.full) continue
    lines.push(`  #${w.index} ${w.origin}  ${w.pending} pending (${w.pendingBytes} B)${w.oldestPendingAt === null ? '' : ` since ${w.oldestPendingAt}`}`)
    if (w.full) lines.push('      ' + warningText(`WARNING: queue full (${w.maxPending} deliveries / ${w.maxPendingBytes} B): the oldest are dropped (${w.dropped} so far)`, colour))
  }
  return lines
}
