// `mycel ls`: the live keys under a prefix (GET /v1/keys).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { Entry } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

export const ls: Command = {
  name: 'ls',
  summary: 'list live keys (optionally under PREFIX)',
  positionals: [{ name: 'PREFIX', description: 'only keys starting with this', optional: true }],
  options: {},
  async run (ctx) {
    const prefix = ctx.positionals[0] ?? ''
    const entries = await (await client(ctx)).call<Entry[]>('GET', '/v1/keys', { query: [['prefix', prefix]] })
    if (wantsJson(ctx)) {
      printJson(ctx, entries)
      return EXIT.OK
    }
    for (const e of entries) {
      const props = Object.entries(e.props).map(([k, v]) => `${k}=${v}`).join(',')
      ctx.out.write(`${e.key}\t${e.size}\t${e.digest.slice(0, 19)}…${props === '' ? '' : '\t' + props}\n`)
    }
    return EXIT.OK
  }
}
