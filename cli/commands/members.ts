import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { MemberInfo } from '../../daemon/federation-ops.js'
import { client, printJson, wantsJson } from './shared.js'

export const members: Command = {
  name: 'members',
  summary: 'list the federation\'s members, their roles and who invited them',
  options: {},
  details: 'As this node knows them (membership replicates like any event). Revoked members are listed with role "revoked". --json prints [{ peerId, role, invitedBy, since, revoked }].',
  async run (ctx) {
    const list = await (await client(ctx)).call<MemberInfo[]>('GET', '/v1/members')
    if (wantsJson(ctx)) {
      printJson(ctx, list)
      return EXIT.OK
    }
    for (const m of list) {
      ctx.out.write(`${m.peerId}  ${(m.revoked ? 'revoked' : m.role ?? '-').padEnd(7)}  invited by ${m.invitedBy ?? '-'}  since ${m.since}\n`)
    }
    return EXIT.OK
  }
}
