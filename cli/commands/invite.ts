import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { client, printJson, wantsJson } from './shared.js'

export const invite: Command = {
  name: 'invite',
  summary: 'print a token a new node passes to `mycel daemon --join TOKEN`',
  options: {},
  details: 'The token carries the federation id and this node\'s peer id and addresses. Anyone holding it can join (roles, expiry and signatures come with the federation issue).',
  async run (ctx) {
    const { token } = await (await client(ctx)).call<{ token: string }>('POST', '/v1/invite')
    if (wantsJson(ctx)) printJson(ctx, { token })
    else ctx.out.write(`${token}\n\nOn the new node run:\n  mycel daemon --join ${token}\n`)
    return EXIT.OK
  }
}
