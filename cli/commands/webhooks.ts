// `mycel webhooks`: this node's webhooks (from <dir>/config.json), their
// durable delivery queues and delivery logs; a ping; redelivery by id
// (GET /v1/webhooks, /v1/webhooks/log; POST /v1/webhooks/ping, /redeliver).
// docs/visibility.md, "Webhooks", is the operator's page.
import { MycelError } from '../../protocol/errors.js'
import type { Command, CommandContext } from '../command.js'
import { EXIT } from '../exit-codes.js'
import type { DeliveryInfo, PingResult, WebhookInfo } from '../../daemon/api/contract.js'
import { client, printJson, wantsJson } from './shared.js'

const ACTIONS = ['list', 'log', 'ping', 'redeliver'] as const

export const webhooks: Command = {
  name: 'webhooks',
  summary: 'list the webhooks and their queues, show the delivery log, send a ping, redeliver by id',
  positionals: [
    { name: 'ACTION', description: 'list (default), log, ping, or redeliver', optional: true, choices: ACTIONS },
    { name: 'ID', description: 'redeliver: the delivery\'s id (webhook-id; `log` lists them)', optional: true }
  ],
  options: {
    webhook: { type: 'string', value: 'N', description: 'log, ping: only the webhook at index N of the config\'s list (default: all)' },
    limit: { type: 'string', value: 'N', description: 'log: the N newest deliveries (default 20, at most 20000)' }
  },
  details: `Webhooks are declared in <dir>/config.json ("webhooks"; docs/visibility.md). A delivery is kept on disk
until answered 2xx or given up (retryGiveUpMs after it was queued, default 24 h), then stays in the log
(the last 1000 per webhook) and can be redelivered with the same webhook-id. A ping is a delivery of
{ type: "ping", atMs, site } through the same queue. --json: list [{ index, origin, events, prefix, signed,
headers, pending, pendingBytes, maxPending, maxPendingBytes, full, delivered, retries, failed, dropped,
oldestPendingAt }]; log [{ webhook, id, type, key, state, attempts, status, error, bytes, redeliveries,
createdAt, lastAttemptAt, nextAttemptAt, finishedAt }]; ping { deliveries: [{ webhook, id }] }; redeliver:
the delivery's row.`,
  async run (ctx) {
    const [action = 'list', id] = ctx.positionals
    const webhook = indexOption(ctx)
    const query: Array<[string, string]> = webhook === undefined ? [] : [['webhook', webhook]]
    const api = await client(ctx)
    switch (action) {
      case 'list': {
        const list = await api.call<WebhookInfo[]>('GET', '/v1/webhooks')
        if (wantsJson(ctx)) printJson(ctx, list)
        else ctx.out.write(list.length === 0 ? 'no webhooks (declare them in config.json: "webhooks")\n' : list.map(listLine).join('\n') + '\n')
        return EXIT.OK
      }
      case 'log': {
        if (ctx.options.limit !== undefined) query.push(['limit', String(ctx.options.limit)])
        const rows = await api.call<DeliveryInfo[]>('GET', '/v1/webhooks/log', { query })
        if (wantsJson(ctx)) printJson(ctx, rows)
        else ctx.out.write(rows.length === 0 ? 'no deliveries kept\n' : rows.map(logLine).join('\n') + '\n')
        return EXIT.OK
      }
      case 'ping': {
        const r = await api.call<PingResult>('POST', '/v1/webhooks/ping', { query })
        if (wantsJson(ctx)) printJson(ctx, r)
        else ctx.out.write(r.deliveries.length === 0 ? 'no webhooks to ping\n' : r.deliveries.map(d => `ping queued for #${d.webhook}: ${d.id}`).join('\n') + '\n')
        return EXIT.OK
      }
      case 'redeliver': {
        if (id === undefined) throw MycelError.usage('redeliver needs a delivery id: mycel webhooks redeliver ID (mycel webhooks log lists them)')
        const row = await api.call<DeliveryInfo>('POST', '/v1/webhooks/redeliver', { query: [['id', id]] })
        if (wantsJson(ctx)) printJson(ctx, row)
        else ctx.out.write(`${row.id} queued again for #${row.webhook} (redelivery ${row.redeliveries})\n`)
        return EXIT.OK
      }
      default:
        throw MycelError.usage(`unknown action ${String(action)}: one of ${ACTIONS.join(', ')}`)
    }
  }
}

function indexOption (ctx: CommandContext): string | undefined {
  const value = ctx.options.webhook
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw MycelError.usage('--webhook takes the webhook\'s index in the config\'s list: 0, 1, …')
  return value
}

function listLine (w: WebhookInfo): string {
  const what = `${w.events.length === 0 ? 'all events' : w.events.join(',')}${w.prefix === '' ? '' : ` under ${w.prefix}`}`
  const queue = `${w.pending} pending (${w.pendingBytes} B)${w.full ? `  FULL: at its bound (${w.maxPending} deliveries, ${w.maxPendingBytes} B), dropping the oldest` : ''}`
  return `#${w.index} ${w.origin}  ${what}  ${w.signed ? 'signed' : 'unsigned'}\n    ${queue}  delivered ${w.delivered}  retries ${w.retries}  failed ${w.failed}  dropped ${w.dropped}` +
    (w.oldestPendingAt === null ? '' : `  oldest pending since ${w.oldestPendingAt}`)
}

function logLine (d: DeliveryInfo): string {
  const answer = d.status !== null ? `HTTP ${d.status}` : d.error ?? '-'
  const when = d.state === 'pending' ? `next ${d.nextAttemptAt ?? '-'}` : `at ${d.finishedAt ?? '-'}`
  return `${d.createdAt}  #${d.webhook}  ${d.id}  ${d.type}${d.key === null ? '' : ` ${d.key}`}  ${d.state}  ${d.attempts} attempt${d.attempts === 1 ? '' : 's'} (last: ${answer})  ${when}`
}
