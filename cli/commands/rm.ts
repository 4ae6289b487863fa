// `mycel rm`: deletes a key everywhere with a tombstone (DELETE /v1/keys/<key>).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { RemoveResult } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

export const rm: Command = {
  name: 'rm',
  summary: 'delete KEY everywhere (writes a tombstone)',
  positionals: [{ name: 'KEY', description: 'the key to delete' }],
  options: {},
  details: 'Exit code 3 if KEY is not a live key here.',
  async run (ctx) {
    const result = await (await client(ctx)).call<RemoveResult>('DELETE', `/v1/keys/${encodeURIComponent(ctx.positionals[0])}`)
    if (wantsJson(ctx)) printJson(ctx, result)
    else ctx.out.write(`removed ${result.key}\n`)
    return EXIT.OK
  }
}
