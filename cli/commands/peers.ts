// `mycel peers`: known members, connected or not, with their lag (GET /v1/peers).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { PeerInfo } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

export const peers: Command = {
  name: 'peers',
  summary: 'list known members: connected or not, addresses, sync lag',
  options: {},
  details: `A connected member is reached direct (a connection of its own) or relayed (through a member that
relays for it: a site behind NAT; docs/deployment.md "Sites behind NAT").
--json prints [{ peerId, name, lag, behind, ahead, connected, addrs, reach }]; reach is direct | relayed, null when not connected.`,
  async run (ctx) {
    const list = await (await client(ctx)).call<PeerInfo[]>('GET', '/v1/peers')
    if (wantsJson(ctx)) {
      printJson(ctx, list)
      return EXIT.OK
    }
    if (list.length === 0) ctx.out.write('no known peers\n')
    for (const p of list) {
      ctx.out.write(`${(p.name ?? '-').padEnd(16)}  ${p.peerId}  ${p.connected ? 'connected' : 'disconnected'}  lag ${p.lag ?? '?'}${p.reach == null ? '' : `  ${p.reach}`}\n`)
      for (const a of p.addrs) ctx.out.write(`    ${a}\n`)
    }
    return EXIT.OK
  }
}
