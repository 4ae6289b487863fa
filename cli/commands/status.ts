import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { StatusInfo } from '../../daemon/api/types.js'
import { client, printJson, wantsJson } from './shared.js'

export const status: Command = {
  name: 'status',
  summary: 'show this node: peer id, federation, addresses, peers and their lag, key counts',
  options: {},
  details: "A peer's lag is the number of events by which it and this node differ (sum over authors of the gap between version vectors), as of its last report; '?' until it has reported, 0 when in sync.",
  async run (ctx) {
    const s = await (await client(ctx)).call<StatusInfo>('GET', '/v1/status')
    if (wantsJson(ctx)) {
      printJson(ctx, s)
      return EXIT.OK
    }
    const lines = [
      `peer id     ${s.peerId}`,
      `federation  ${s.federation}`,
      `role        ${s.role ?? 'not a member'}`,
      `api         ${s.api}`,
      `listen      ${s.listen.join('\n            ')}`,
      `keys        ${s.keys} (${s.tombstones} tombstones)`,
      `peers       ${s.peers.length} connected`,
      ...s.peers.map(p => `  ${p.peerId}  lag ${p.lag ?? '?'}`)
    ]
    ctx.out.write(lines.join('\n') + '\n')
    return EXIT.OK
  }
}
