// `mycel invite`: asks the daemon to sign an invite token (POST /v1/invite).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { InviteResult } from '../../daemon/api/contract.js'
import { MycelError } from '../../protocol/errors.js'
import { client, printJson, wantsJson } from './shared.js'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `90s`, `30m`, `24h`, `7d`, `500ms`; a bare number is seconds. */
export function parseDuration (text: string): number {
  const m = /^([0-9]{1,12})(ms|s|m|h|d)?$/.exec(text.trim())
  if (m === null) throw MycelError.usage(`--ttl must be a duration like 30m, 24h or 7d, not ${text}`)
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? 's']
  if (ms < 1) throw MycelError.usage('--ttl must be positive')
  return ms
}

export const invite: Command = {
  name: 'invite',
  summary: 'print a signed token a new node passes to `mycel daemon --join TOKEN` (admins only)',
  options: {
    role: { type: 'string', value: 'ROLE', description: 'reader (fetch only), writer (publish, delete) or admin (also invite, revoke)', default: 'writer' },
    ttl: { type: 'string', value: 'DURATION', description: 'how long the token is valid, e.g. 30m, 24h, 7d', default: '24h' },
    uses: { type: 'string', value: 'N', description: 'how many nodes may join with it', default: '1' }
  },
  details: `The token carries the federation id, this node's peer id and addresses, the role, the expiry, the
number of uses and a nonce, signed by this node. Anyone holding it can join until it expires or is used up:
treat it as a secret. A spent single-use token is refused by every member. Exit 5 if this node is not an admin.`,
  async run (ctx) {
    const query: Array<[string, string]> = []
    if (typeof ctx.options.role === 'string') query.push(['role', ctx.options.role])
    if (typeof ctx.options.ttl === 'string') query.push(['ttlMs', String(parseDuration(ctx.options.ttl))])
    if (typeof ctx.options.uses === 'string') {
      if (!/^[0-9]{1,7}$/.test(ctx.options.uses) || Number(ctx.options.uses) < 1) throw MycelError.usage('--uses must be a positive integer')
      query.push(['uses', ctx.options.uses])
    }
    const result = await (await client(ctx)).call<InviteResult>('POST', '/v1/invite', { query })
    if (wantsJson(ctx)) printJson(ctx, result)
    else {
      ctx.out.write(`${result.token}\n\n${result.role}, valid until ${result.expiresAt}, for ${result.uses} node(s). On the new node run:\n  mycel daemon --join ${result.token}\n`)
    }
    return EXIT.OK
  }
}
