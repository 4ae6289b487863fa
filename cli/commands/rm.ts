// `mycel rm`: deletes a key everywhere with a tombstone (DELETE /v1/keys/<key>). With --wait-replicas
// it follows the delete (GET /v1/settle/<key>) until N sites hold it — or until another site's write
// of the key wins over it: then the rm lost, and says so (exit 7), naming the winner's site and digest.
import type { Command } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { RemoveResult, SettleAnswer } from '../../daemon/api/contract.js'
import type { ApiClient } from '../api-client.js'
import { MycelError } from '../../protocol/errors.js'
import { parseReplicas, parseTimeout } from '../wait-replicas.js'
import { client, printJson, wantsJson } from './shared.js'

const POLL_MS = 250

export const rm: Command = {
  name: 'rm',
  summary: 'delete KEY everywhere (writes a tombstone)',
  positionals: [{ name: 'KEY', description: 'the key to delete' }],
  options: {
    'wait-replicas': { type: 'string', value: 'N|all', description: 'return only once N members (all: every member) hold the delete; exit 7 if another site\'s write of KEY wins meanwhile, 6 on timeout' },
    timeout: { type: 'string', value: 'DURATION', description: 'how long --wait-replicas waits, e.g. 60s, 2m', default: '60s' }
  },
  details: 'Exit code 3 if KEY is not a live key here; 5 if the rules (docs/rules.md) or the role forbid the delete.\nWith --wait-replicas: 7 if a concurrent publish elsewhere won over the delete (the key is live, with the winner\'s bytes), 6 if the delete is written but fewer sites held it before --timeout. --json: { key, author, stamp, seq, barrier? }.',
  async run (ctx) {
    const key = ctx.positionals[0]
    const replicas = ctx.options['wait-replicas'] === undefined ? undefined : parseReplicas(ctx.options['wait-replicas'] as string)
    const timeoutMs = parseTimeout((ctx.options.timeout as string | undefined) ?? '60s')
    const api = await client(ctx)
    const result = await api.call<RemoveResult>('DELETE', `/v1/keys/${encodeURIComponent(key)}`)
    const barrier = replicas === undefined ? undefined : await followDelete(api, result, replicas, timeoutMs)
    if (wantsJson(ctx)) printJson(ctx, barrier === undefined ? result : { ...result, barrier })
    else ctx.out.write(`removed ${result.key}\n` + (barrier === undefined ? '' : `  ${barrier.holding} of ${barrier.required} sites hold the delete\n`))
    if (barrier !== undefined && !barrier.met) {
      if (!wantsJson(ctx)) ctx.err.write(`mycel rm: removed ${result.key}, but after ${(timeoutMs / 1000).toFixed(1)} s ${barrier.holding} of ${barrier.required} sites hold the delete; missing: ${barrier.missing.join(', ')}\n`)
      return EXIT.PUBLISHED_PARTIAL
    }
    return EXIT.OK
  }
}

/** Polls until `replicas` members hold the delete, another write wins (CONFLICT), or the timeout passes. */
async function followDelete (api: ApiClient, removed: RemoveResult, replicas: number | 'all', timeoutMs: number): Promise<NonNullable<RemoveResult['barrier']>> {
  const deadline = Date.now() + timeoutMs
  const path = `/v1/settle/${encodeURIComponent(removed.key)}`
  for (;;) {
    const answer = await api.call<SettleAnswer>('GET', path, { query: [['author', removed.author], ['seq', String(removed.seq)]] })
    const w = answer.winner
    if (w !== null && w.kind === 'put') {
      throw new MycelError('CONFLICT', `${removed.key}: this rm lost to a concurrent write at ${w.authorName ?? w.author}: ${w.digest ?? '?'} is live`, {
        details: { key: removed.key, digest: w.digest, author: w.author, authorName: w.authorName }
      })
    }
    const required = replicas === 'all' ? answer.members.length : replicas
    const holding = answer.members.filter(m => m.has === true)
    const state = { met: holding.length >= required, required, holding: holding.length, missing: answer.members.filter(m => m.has !== true).map(m => m.name ?? m.peerId) }
    if (state.met || Date.now() >= deadline) return state
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
  }
}
