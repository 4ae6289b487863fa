// `mycel watch`: the daemon's event stream, one line per event (event-stream.ts reads it).
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import { readEvents } from '../event-stream.js'
import type { VisEvent } from '../../daemon/api/contract.js'
import { MycelError } from '../../protocol/errors.js'
import { client, wantsJson } from './shared.js'

export const watch: Command = {
  name: 'watch',
  summary: 'stream what happens on this node: published, replicated, available, deleted, member-joined, member-revoked, member-suspended',
  positionals: [{ name: 'PREFIX', description: 'only keys starting with this (member events always show)', optional: true }],
  options: {
    type: { type: 'string', multiple: true, value: 'TYPE', description: 'only these event types (comma-separated or repeated)' },
    count: { type: 'string', value: 'N', description: 'exit after N events' },
    recent: { type: 'string', value: 'N', description: 'first print up to N recent events (at most 200)' }
  },
  details: `Runs until Ctrl-C (or --count events). With --json, one JSON object per line on stdout:
{ type, id, atMs, key, author?, seq?, stamp?, digest?, cid?, size?, peer?, role?, proof?, image? }. "watching ..." goes
to stderr once the stream is open. A watcher that falls far behind is dropped by the daemon (exit 4);
if the daemon stops, watch exits 1.`,
  async run (ctx) {
    const prefix = ctx.positionals[0] ?? ''
    const count = parseCount(ctx.options.count, 'count')
    const recent = parseCount(ctx.options.recent, 'recent')
    const query: Array<[string, string]> = [['prefix', prefix]]
    for (const t of (ctx.options.type as string[] | undefined) ?? []) query.push(['type', t])
    if (recent !== undefined) query.push(['recent', String(recent)])
    const api = await client(ctx)
    const stop = new AbortController()
    const onSignal = (): void => { stop.abort() }
    process.once('SIGINT', onSignal)
    let seen = 0
    let how: 'stopped' | 'ended'
    try {
      how = await readEvents(api, {
        query,
        signal: stop.signal,
        onOpen: () => { ctx.err.write(`watching ${prefix === '' ? 'all keys' : prefix} on ${api.url}\n`) },
        onEvent: event => {
          ctx.out.write(wantsJson(ctx) ? JSON.stringify(event) + '\n' : formatEvent(event) + '\n')
          seen++
          return count === undefined || seen < count
        }
      })
    } finally {
      process.off('SIGINT', onSignal)
    }
    if (how === 'ended') throw new MycelError('CLOSED', `the daemon ended the event stream after ${seen} events (was it stopped?)`)
    return EXIT.OK
  }
}

function parseCount (value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw MycelError.usage(`--${name} must be a positive integer`)
  return n
}

export function formatEvent (e: VisEvent): string {
  const time = new Date(e.atMs).toISOString().slice(11, 23)
  if (e.type === 'conflict') {
    return `${time}  ${e.type.padEnd(16)}  ${e.package ?? e.key}  lost to ${e.peerName ?? e.author?.slice(-8) ?? '?'}: ${e.digest?.slice(0, 19) ?? '?'} won over ours, ${e.lostDigest?.slice(0, 19) ?? '?'}`
  }
  if (e.type === 'overwritten') {
    const by = e.peerName ?? e.author?.slice(-8) ?? '?'
    const ours = e.lost === 'delete' ? 'our rm' : `our ${e.lostDigest?.slice(0, 19) ?? 'publish'}`
    const theirs = e.won === 'delete' ? 'their rm' : `their ${e.digest?.slice(0, 19) ?? 'publish'}`
    return `${time}  ${e.type.padEnd(16)}  ${e.package ?? e.image ?? e.key}  ${ours} lost to ${by}: ${theirs} won`
  }
  if (e.type === 'reverted') {
    const by = e.peerName ?? e.author?.slice(-8) ?? '?'
    const voided = e.lost === 'delete' ? `${by}'s rm` : `${by}'s ${e.lostDigest?.slice(0, 19) ?? 'publish'}`
    const now = e.won === undefined ? 'now gone' : e.won === 'delete' ? 'now deleted' : `now ${e.digest?.slice(0, 19) ?? '?'}`
    return `${time}  ${e.type.padEnd(16)}  ${e.package ?? e.image ?? e.key}  ${voided} voided (its author's writes no longer count); ${now}`
  }
  const who = e.peer !== undefined ? `${e.peer}${e.role !== undefined ? ` as ${e.role}` : ''}${e.proof !== undefined ? ` (proven: ${e.proof})` : ''}` : e.image ?? e.package ?? e.key
  const detail = [
    e.stamp !== undefined ? `stamp ${e.stamp}` : '',
    e.author !== undefined && e.type !== 'member-joined' && e.type !== 'member-revoked' && e.type !== 'member-suspended' ? `by ${e.author.slice(-8)}` : '',
    e.size !== undefined ? `${e.size} B` : '',
    e.digest !== undefined ? e.digest.slice(0, 19) : ''
  ].filter(s => s !== '').join('  ')
  return `${time}  ${e.type.padEnd(16)}  ${who}  ${detail}`
}
