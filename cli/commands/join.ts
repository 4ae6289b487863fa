// `mycel join`: a running node alone in its own federation joins a token's (POST /v1/join).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { JoinResult } from '../../daemon/api/contract.js'
import { readJoinToken } from '../join-token.js'
import { client, printJson, wantsJson } from './shared.js'

export const join: Command = {
  name: 'join',
  summary: 'make the running node join the federation of an invite token',
  positionals: [{ name: 'TOKEN', description: 'an invite token (mycel2…, from `mycel invite`); - reads it from stdin (not in ps)' }],
  options: {
    via: { type: 'string', multiple: true, value: 'MULTIADDR', description: 'a member to present the token to first (/ip4/…/tcp/…/p2p/<id>)' }
  },
  details: `The node presents the token to the inviter (or a --via member), which checks it and records the
grant; the node then leaves the federation it founded on its own and replicates the new one's state.
Only a node that is alone in its own federation and holds no keys can switch; otherwise use
\`mycel daemon --join TOKEN\` on an empty --dir. Already in the token's federation: nothing happens.
Exit codes: 2 malformed token or a node that cannot switch; 5 refused (expired, spent, wrong-federation,
bad-signature, not-admin, revoked; the reason is printed); 4 no member reachable.`,
  async run (ctx) {
    const token = await readJoinToken({ join: ctx.positionals[0] }, ctx.stdin ?? process.stdin) as string
    const via = (ctx.options.via as string[] | undefined) ?? []
    const result = await (await client(ctx)).call<JoinResult>('POST', '/v1/join', { body: token, query: via.map(v => ['via', v]) })
    if (wantsJson(ctx)) printJson(ctx, result)
    else if (!result.switched) ctx.out.write(`already a member of ${result.federation} (${result.role ?? 'no role'})\n`)
    else ctx.out.write(`joined ${result.federation} as ${result.role ?? '?'} (admitted by ${result.member ?? '?'})\n`)
    return EXIT.OK
  }
}
