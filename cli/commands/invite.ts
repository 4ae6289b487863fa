// `mycel invite`: asks the daemon to sign an invite token (POST /v1/invite). On a terminal it explains
// the token and prints the command the new site runs; piped or captured (`TOKEN=$(mycel invite)`) it
// prints the token alone, so a script gets exactly the secret and nothing else.
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { InviteResult } from '../../daemon/api/contract.js'
import { MAX_INVITE_TTL_MS } from '../../daemon/limits.js'
import { parseDurationInRange } from '../../protocol/duration.js'
import { MycelError } from '../../protocol/errors.js'
import { client, printJson, wantsJson } from './shared.js'

export const invite: Command = {
  name: 'invite',
  summary: 'print a signed token a new node passes to `mycel daemon --join TOKEN` (admins only)',
  options: {
    role: { type: 'string', value: 'ROLE', description: 'reader (fetch only), writer (publish, delete) or admin (also invite, revoke)', default: 'reader', choices: ['reader', 'writer', 'admin'] },
    ttl: { type: 'string', value: 'DURATION', description: 'how long the token is valid, e.g. 30m, 24h, 7d (a bare number is seconds)', default: '24h' },
    uses: { type: 'string', value: 'N', description: 'how many nodes may join with it', default: '1' }
  },
  details: `The token carries the federation id, this node's peer id and addresses, the role, the expiry, the
number of uses and a nonce, signed by this node. Anyone holding it can join until it expires or is used up:
treat it as a secret. A spent single-use token is refused by every member. Exit 5 if this node is not an admin.
Output: the token alone when stdout is not a terminal (TOKEN=$(mycel invite) captures just it); on a terminal,
also its role, expiry and the command the new node runs. The new node can read it from a file or stdin, so
it never shows in ps: mycel daemon --join-file FILE, or mycel daemon --join - < FILE.`,
  async run (ctx) {
    const query: Array<[string, string]> = []
    if (typeof ctx.options.role === 'string') query.push(['role', ctx.options.role])
    if (typeof ctx.options.ttl === 'string') query.push(['ttlMs', String(parseDurationInRange(ctx.options.ttl, '--ttl', 1, MAX_INVITE_TTL_MS))])
    if (typeof ctx.options.uses === 'string') {
      if (!/^[0-9]{1,7}$/.test(ctx.options.uses) || Number(ctx.options.uses) < 1) throw MycelError.usage('--uses must be a positive integer')
      query.push(['uses', ctx.options.uses])
    }
    const result = await (await client(ctx)).call<InviteResult>('POST', '/v1/invite', { query })
    if (wantsJson(ctx)) printJson(ctx, result)
    else if (!ctx.isTTY) ctx.out.write(`${result.token}\n`)
    else {
      ctx.out.write(`${result.token}\n\n${result.role}, valid until ${result.expiresAt}, for ${result.uses} node(s). Treat it as a secret. On the new node, save it to a file and run:\n  mycel daemon --join-file FILE\n(or: mycel daemon --join ${result.token})\n`)
    }
    return EXIT.OK
  }
}
