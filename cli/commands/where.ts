// `mycel where`: per member, whether it has a key's metadata and bytes (GET /v1/where/<key>).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { WhereAnswer } from '../../daemon/api/contract.js'
import { imageLabel } from '../../daemon/registry/keys.js'
import { packageLabel } from '../../daemon/npm/keys.js'
import { client, printJson, wantsJson } from './shared.js'

export const where: Command = {
  name: 'where',
  summary: 'show, for every member, whether it has KEY: metadata (at which stamp) and bytes',
  positionals: [{ name: 'KEY', description: 'the key to locate' }],
  options: {},
  details: `--json prints a list of { peerId, name, role, metadata, bytes, progress, self, report }: metadata is the
stamp of the key's current version if the member has it, else null; bytes is held, fetching, missing
or unknown. report says where the metadata answer comes from: self, direct (the member's own report),
relayed (another member's), none (unknown — metadata null does not mean missing then). Exit 3 if the
key does not exist here.`,
  async run (ctx) {
    const answer = await (await client(ctx)).call<WhereAnswer>('GET', `/v1/where/${encodeURIComponent(ctx.positionals[0])}`)
    if (wantsJson(ctx)) {
      printJson(ctx, answer.members)
      return EXIT.OK
    }
    const image = imageLabel(answer.key) ?? packageLabel(answer.key)
    const lines = [`${image === undefined ? answer.key : `${image} (${answer.key})`}  stamp ${answer.stamp}  ${answer.digest}`, '']
    const rows = answer.members.map(m => [
      (m.name ?? m.peerId) + (m.self ? ' (this node)' : ''),
      m.role ?? '-',
      m.metadata !== null ? `yes @ ${m.metadata}` : m.report === 'none' ? 'unknown' : 'no',
      m.bytes + (m.progress !== null ? ` ${(m.progress * 100).toFixed(0)}%` : '')
    ])
    const head = ['MEMBER', 'ROLE', 'METADATA', 'BYTES']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
    for (const r of [head, ...rows]) lines.push(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd())
    ctx.out.write(lines.join('\n') + '\n')
    return EXIT.OK
  }
}
