// `mycel where`: per member, whether it has a key's metadata and bytes (GET /v1/where/<key>).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { ReplicasView, WhereAnswer } from '../../daemon/api/contract.js'
import { imageLabel } from '../../daemon/registry/keys.js'
import { packageLabel } from '../../daemon/npm/keys.js'
import { client, printJson, wantsJson } from './shared.js'

export const where: Command = {
  name: 'where',
  summary: 'show, for every member, whether it has KEY: metadata (at which stamp) and bytes',
  positionals: [{ name: 'KEY', description: 'the key to locate' }],
  options: {},
  details: `--json prints a list of { peerId, name, role, metadata, bytes, progress, self, report, mode, groups,
placed, replicas }: metadata is the stamp of the key's current version if the member has it, else null;
bytes is held, fetching, missing or unknown. report says where the metadata answer comes from: self,
direct (the member's own report), relayed (another member's), none (unknown — metadata null does not
mean missing then). Under a replication factor (a rules replicas N, see mycel rules) placed says whether
the placement chose the member to hold the bytes, and replicas is the key's { target, actual, holders }
(the same on every row: actual counts members whose bytes are held); both null otherwise. The text
shows "replicas: A held, target N; chosen: ..." and a PLACED column. Exit 3 if the key does not exist here.`,
  async run (ctx) {
    const answer = await (await client(ctx)).call<WhereAnswer>('GET', `/v1/where/${encodeURIComponent(ctx.positionals[0])}`)
    // A daemon from before the factor sends neither field.
    const replicas = answer.replicas ?? null
    if (wantsJson(ctx)) {
      // The list is the contract: the key's factor rides on every row.
      printJson(ctx, answer.members.map(m => ({ ...m, placed: m.placed ?? null, replicas })))
      return EXIT.OK
    }
    const image = imageLabel(answer.key) ?? packageLabel(answer.key)
    const lines = [`${image === undefined ? answer.key : `${image} (${answer.key})`}  stamp ${answer.stamp}  ${answer.digest}`]
    if (replicas !== null) lines.push(replicasText(replicas, answer.members))
    lines.push('')
    const rows = answer.members.map(m => [
      (m.name ?? m.peerId) + (m.self ? ' (this node)' : ''),
      m.role ?? '-',
      m.metadata !== null ? `yes @ ${m.metadata}` : m.report === 'none' ? 'unknown' : 'no',
      m.bytes + (m.progress !== null ? ` ${(m.progress * 100).toFixed(0)}%` : ''),
      ...(replicas === null ? [] : [m.placed === true ? 'yes' : '-'])
    ])
    const head = ['MEMBER', 'ROLE', 'METADATA', 'BYTES', ...(replicas === null ? [] : ['PLACED'])]
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
    for (const r of [head, ...rows]) lines.push(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd())
    ctx.out.write(lines.join('\n') + '\n')
    return EXIT.OK
  }
}

/** `replicas: 2 held, target 2; chosen: a, b`: members holding verified bytes against the factor, and whom placement chose. */
export function replicasText (r: ReplicasView, members: WhereAnswer['members']): string {
  const nameOf = (peerId: string): string => members.find(x => x.peerId === peerId)?.name ?? peerId
  const short = r.holders.length < r.target ? ` (only ${r.holders.length} site${r.holders.length === 1 ? '' : 's'} can hold it)` : ''
  return `replicas: ${r.actual} held, target ${r.target}${short}; chosen: ${r.holders.length === 0 ? 'none' : r.holders.map(nameOf).join(', ')}`
}
