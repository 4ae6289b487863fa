// `mycel cat`: a blob's bytes to stdout (blob-download.ts fetches them first if need be). Quiet, as cat
// is: no progress line (`fetch -o -` draws one on a terminal's stderr).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { downloadBlob, parseWaitFlag } from './blob-download.js'
import { client } from './shared.js'

export const cat: Command = {
  name: 'cat',
  summary: 'stream the bytes of KEY (or sha256:HEX, or a CID) to stdout',
  positionals: [{ name: 'REF', description: 'a key, sha256:<hex> or a CID' }],
  options: {
    wait: { type: 'string', value: 'DURATION', description: 'how long the bytes may take to arrive if they are not here yet, e.g. 90s, 10m (a bare number is seconds; default: 60s)' }
  },
  details: 'Exit codes as for fetch: 3 no such key, 4 bytes not had within --wait, 5 permission denied.',
  async run (ctx) {
    await downloadBlob(await client(ctx), ctx, ctx.positionals[0] as string, parseWaitFlag(ctx.options.wait), process.stdout, false)
    return EXIT.OK
  }
}
