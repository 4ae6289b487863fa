// `mycel revoke`: an admin cuts a member off for good (POST /v1/revoke).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { RevokeResult } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

export const revoke: Command = {
  name: 'revoke',
  summary: 'revoke a member for good: every member cuts it off and refuses its later events (admins only)',
  positionals: [{ name: 'PEERID', description: 'the member\'s peer id (see `mycel members`)' }],
  options: {},
  details: 'Returns once the signed revocation is durable here; members close their connections to the peer as soon as it reaches them. Exit 3 if PEERID is not a member, 5 if this node is not an admin.',
  async run (ctx) {
    const [peer] = ctx.positionals
    const result = await (await client(ctx)).call<RevokeResult>('POST', '/v1/revoke', { query: [['peer', peer]] })
    if (wantsJson(ctx)) printJson(ctx, result)
    else ctx.out.write(`revoked ${result.peerId} at ${result.stamp}\n`)
    return EXIT.OK
  }
}
