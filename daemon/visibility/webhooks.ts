// Webhooks from the config: for each, a POST of one JSON body (a VisEvent,
// events.ts) per matching event. Each webhook owns a bus subscription with a
// bounded queue (drop-oldest beyond WEBHOOK_QUEUE_MAX, counted) and one worker
// that delivers in order: an answer 2xx is success; anything else (an error
// status, a refused connection, no answer within WEBHOOK_TIMEOUT_MS) is retried
// with exponential backoff and jitter, up to WEBHOOK_ATTEMPTS_MAX attempts,
// then given up, logged and counted. A dead endpoint therefore costs one
// worker and a bounded queue, and never slows the daemon or other webhooks.
//
// Config (<dir>/config.json):
//   "webhooks": [{ "url": "https://ci.example/hook", "events": ["available"], "prefix": "builds/" }]
// `events` defaults to all types, `prefix` to every key.

import { MycelError } from '../../protocol/errors.js'
import type { EventBus, Subscription } from './bus.js'
import { isVisEventType, VIS_EVENT_TYPES, type VisEvent, type VisEventType } from './events.js'
import {
  MAX_WEBHOOKS, WEBHOOK_ATTEMPTS_MAX, WEBHOOK_BACKOFF_MS, WEBHOOK_BACKOFF_MS_MAX, WEBHOOK_QUEUE_MAX, WEBHOOK_TIMEOUT_MS
} from './limits.js'
import type { Logger } from '../log.js'

export interface WebhookConfig {
  url: string
  /** Event types to send; absent or empty = all. */
  events?: VisEventType[]
  /** Only events whose key starts with this (member events always pass). */
  prefix?: string
}

/** Validates the config's `webhooks` field; throws USAGE naming what is wrong. */
export function parseWebhooks (value: unknown, where: string): WebhookConfig[] {
  const bad = (msg: string): MycelError => MycelError.usage(`${where}: "webhooks" ${msg}`)
  if (!Array.isArray(value)) throw bad('must be a list of { url, events?, prefix? }')
  if (value.length > MAX_WEBHOOKS) throw bad(`has ${value.length} entries, over the limit of ${MAX_WEBHOOKS}`)
  return value.map((raw: unknown, i): WebhookConfig => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`[${i}] must be an object`)
    const { url, events, prefix, ...rest } = raw as Record<string, unknown>
    const extra = Object.keys(rest)
    if (extra.length > 0) throw bad(`[${i}] has unknown field "${extra[0]}"`)
    let parsed: URL
    try {
      parsed = new URL(String(url))
    } catch {
      throw bad(`[${i}].url must be an http(s) URL`)
    }
    if (typeof url !== 'string' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw bad(`[${i}].url must be an http(s) URL`)
    if (events !== undefined && (!Array.isArray(events) || !events.every(isVisEventType))) {
      throw bad(`[${i}].events must be a list of: ${VIS_EVENT_TYPES.join(', ')}`)
    }
    if (prefix !== undefined && typeof prefix !== 'string') throw bad(`[${i}].prefix must be a string`)
    return { url, ...(events === undefined ? {} : { events: events as VisEventType[] }), ...(prefix === undefined ? {} : { prefix }) }
  })
}

export interface WebhookStats { url: string, delivered: number, retries: number, failed: number, dropped: number, queued: number }

export interface WebhooksInit {
  hooks: WebhookConfig[]
  attemptsMax?: number
  backoffMs?: number
  backoffMsMax?: number
  timeoutMs?: number
  queueMax?: number
}

export interface WebhooksComponents {
  bus: Pick<EventBus, 'subscribe'>
  log: Logger
  /** Default globalThis.fetch. */
  fetch?: typeof fetch
  random?: () => number
}

interface Hook {
  config: WebhookConfig
  /** How logs name it: its index in the config and the URL's origin, never its path, query or user info (often a secret). */
  name: string
  sub: Subscription
  stats: WebhookStats
  done: Promise<void>
}

/** `#0 https://ci.example`: enough to tell webhooks apart in a log without writing their secrets there. */
export function webhookName (index: number, url: string): string {
  let origin = '?'
  try { origin = new URL(url).origin } catch {}
  return `#${index} ${origin}`
}

export class Webhooks {
  private readonly init: WebhooksInit
  private readonly c: WebhooksComponents
  private readonly hooks: Hook[] = []
  private readonly stopper = new AbortController()

  constructor (init: WebhooksInit, components: WebhooksComponents) {
    this.init = init
    this.c = components
  }

  start (): void {
    for (const [i, config] of this.init.hooks.entries()) {
      const sub = this.c.bus.subscribe({ prefix: config.prefix, types: config.events, maxBuffered: this.init.queueMax ?? WEBHOOK_QUEUE_MAX, overflow: 'drop-oldest' })
      const name = webhookName(i, config.url)
      const hook: Hook = { config, name, sub, stats: { url: config.url, delivered: 0, retries: 0, failed: 0, dropped: 0, queued: 0 }, done: Promise.resolve() }
      hook.done = this.work(hook).catch(err => { this.c.log.error('webhook worker stopped', { webhook: name, err }) })
      this.hooks.push(hook)
    }
  }

  async stop (): Promise<void> {
    this.stopper.abort()
    for (const h of this.hooks) h.sub.close('stopped')
    await Promise.all(this.hooks.map(async h => { await h.done }))
  }

  stats (): WebhookStats[] {
    return this.hooks.map(h => ({ ...h.stats, dropped: h.sub.dropped, queued: h.sub.buffered }))
  }

  private async work (hook: Hook): Promise<void> {
    for (;;) {
      const event = await hook.sub.next()
      if (event === undefined || this.stopper.signal.aborted) return
      await this.deliver(hook, event)
    }
  }

  private async deliver (hook: Hook, event: VisEvent): Promise<void> {
    const attemptsMax = this.init.attemptsMax ?? WEBHOOK_ATTEMPTS_MAX
    let delayMs = this.init.backoffMs ?? WEBHOOK_BACKOFF_MS
    for (let attempt = 1; ; attempt++) {
      const problem = await this.post(hook.config.url, event)
      if (problem === undefined) { hook.stats.delivered++; return }
      if (this.stopper.signal.aborted) return
      if (attempt >= attemptsMax) {
        hook.stats.failed++
        this.c.log.warn('webhook delivery failed; event given up', { webhook: hook.name, type: event.type, key: event.key, id: event.id, attempts: attempt, problem })
        return
      }
      hook.stats.retries++
      this.c.log.debug('webhook delivery failed; will retry', { webhook: hook.name, attempt, problem, delayMs })
      await this.sleep(delayMs * (0.8 + 0.4 * (this.c.random ?? Math.random)()))
      delayMs = Math.min(delayMs * 2, this.init.backoffMsMax ?? WEBHOOK_BACKOFF_MS_MAX)
    }
  }

  /** undefined on success, else what went wrong. */
  private async post (url: string, event: VisEvent): Promise<string | undefined> {
    const signal = AbortSignal.any([this.stopper.signal, AbortSignal.timeout(this.init.timeoutMs ?? WEBHOOK_TIMEOUT_MS)])
    try {
      const res = await (this.c.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'mycel-webhook' },
        body: JSON.stringify(event),
        // A redirect is an answer other than 2xx (retried, then given up), never followed to another host.
        redirect: 'manual',
        signal
      })
      await res.body?.cancel().catch(() => {})
      return res.ok ? undefined : `HTTP ${res.status}`
    } catch (err) {
      return (err as Error).name === 'TimeoutError' ? 'timeout' : String((err as Error).message ?? err)
    }
  }

  private async sleep (ms: number): Promise<void> {
    if (this.stopper.signal.aborted) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(done, ms)
      const signal = this.stopper.signal
      function done (): void { clearTimeout(timer); signal.removeEventListener('abort', done); resolve() }
      signal.addEventListener('abort', done)
    })
  }
}
