// `mycel status`: this node, its peers and their sync state (status-sync.ts merges the two answers).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { StatusInfo } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'
import { peerSyncLines, statusPageUrl, withPeerSync } from '../status-sync.js'
import { usesColour } from '../terminal.js'

export const status: Command = {
  name: 'status',
  summary: 'show this node: peer id, federation, addresses, peers and their lag, key counts',
  options: {
    ui: { type: 'boolean', description: 'print the status page URL (with this node\'s API token in its #fragment) and exit' }
  },
  details: "A peer's lag is the number of events by which it and this node differ (sum over authors of the gap between version vectors), as of its last report; '?' until it has reported, 0 when in sync.",
  async run (ctx) {
    const api = await client(ctx)
    if (ctx.options.ui === true) {
      ctx.out.write(await statusPageUrl(api) + '\n')
      return EXIT.OK
    }
    const s = await withPeerSync(api, await api.call<StatusInfo>('GET', '/v1/status'))
    if (wantsJson(ctx)) {
      printJson(ctx, s)
      return EXIT.OK
    }
    const lines = [
      `site        ${s.name}`,
      `peer id     ${s.peerId}`,
      `federation  ${s.federation}`,
      `role        ${s.role ?? 'not a member'}`,
      `api         ${s.api}`,
      `listen      ${s.listen.join('\n            ')}`,
      `keys        ${s.keys} (${s.tombstones} tombstones)`,
      `peers       ${s.peers.length} connected`,
      ...peerSyncLines(s.peers, usesColour(ctx))
    ]
    ctx.out.write(lines.join('\n') + '\n')
    return EXIT.OK
  }
}
