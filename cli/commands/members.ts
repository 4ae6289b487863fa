// `mycel members`: the federation's membership as this node sees it (GET /v1/members).
import { parseStamp, wallOf } from '../../protocol/hlc.js'
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { MemberInfo } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

export const members: Command = {
  name: 'members',
  summary: 'list the federation\'s members, their roles and who invited them',
  options: {},
  details: 'As this node knows them (membership replicates like any event). Revoked members are listed with role "revoked". --json prints [{ peerId, name, role, invitedBy, since, revoked, suspended, lastValidSeq }] (suspended: { fromSeq } once a fault proof holds) (since: the grant\'s HLC stamp; shown as UTC time here).',
  async run (ctx) {
    const list = await (await client(ctx)).call<MemberInfo[]>('GET', '/v1/members')
    if (wantsJson(ctx)) {
      printJson(ctx, list)
      return EXIT.OK
    }
    const names = new Map(list.map(m => [m.peerId, m.name]))
    for (const m of list) {
      const inviter = m.invitedBy === null ? '-' : names.get(m.invitedBy) ?? m.invitedBy
      const origin = m.invitedBy === m.peerId ? 'founded the federation' : `invited by ${inviter}  since ${sinceText(m.since)}`
      ctx.out.write(`${(m.name ?? '-').padEnd(16)}  ${m.peerId}  ${(m.revoked ? 'revoked' : m.suspended !== null ? 'suspended' : m.role ?? '-').padEnd(9)}  ${origin}${m.suspended !== null ? `  (signed a contradiction at its event ${m.suspended.fromSeq})` : ''}\n`)
    }
    return EXIT.OK
  }
}

/** A grant's stamp as a person reads it: its wall-clock part as UTC (the founder's grant is at stamp 0). */
function sinceText (since: string): string {
  const stamp = parseStamp(since)
  if (stamp === undefined) return since
  const wall = wallOf(stamp)
  return wall === 0 ? 'the founding' : new Date(wall).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
