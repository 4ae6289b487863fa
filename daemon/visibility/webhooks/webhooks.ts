// Webhooks, composed: for each configured webhook a bus subscription (its
// filter), its part of the durable queue and a delivery worker.
//
//   EventBus ── subscription (prefix, events) ──► enqueue ──► DeliveryQueue (storage: LevelDB) ◄── ping / redeliver (API)
//                                                                  │ head, durable
//                                                   DeliveryWorker (POST, backoff) ──► receiver
//
// A webhook is named in logs and metrics by its index in the config and its
// URL's origin, never the URL (its path or query often holds a token), the
// secret or header values. On disk it is known by a hash of its URL, so
// reordering the config keeps each queue with its webhook.

import { createHash } from 'node:crypto'
import type { Logger } from '../../log.js'
import type { EventBus, Subscription } from '../bus.js'
import { MAX_SUBSCRIBER_BUFFER } from '../limits.js'
import { eventBody, pingBody, type SiteInfo } from './body.js'
import { resolveWebhook, webhookName, webhookOrigin, type ResolvedWebhook, type WebhookConfig } from './config.js'
import { DEFAULT_LOG_LIMIT, PING_TYPE } from './constants.js'
import { DeliveryQueue } from './queue.js'
import { parseSecret } from './signing.js'
import { MemoryDeliveryStorage, type DeliveryStorage } from './storage.js'
import { REAL_CLOCK, REAL_TIMERS } from '../../time.js'
import type { Timers } from './timers.js'
import type { DeliveryInfo, DeliveryRecord, PingResult, WebhookInfo } from './types.js'
import { DeliveryWorker } from './worker.js'

export interface WebhooksInit {
  hooks: WebhookConfig[]
  /** This node's peer id (every body's `site.peerId`). */
  selfId: string
}

export interface WebhooksComponents {
  bus: Pick<EventBus, 'subscribe'>
  log: Logger
  /** The site's name for every body, read at each event. */
  siteName: () => string
  /** Where deliveries are kept. Default in memory (nothing survives a restart): tests, a hub without a store. */
  storage?: DeliveryStorage
  /** Default globalThis.fetch. */
  fetch?: typeof fetch
  /** Default the real ones (daemon/time.ts: unref'd, so a waiting retry never holds a stopping daemon open). */
  timers?: Timers
  /** Wall clock (a delivery's schedule outlives the process). Default the real one. */
  nowMs?: () => number
  random?: () => number
  onAttempt?: (index: number, seconds: number, ok: boolean) => void
  /** Waiting deliveries dropped from a full queue (the daemon notes them in its shed ledger, bound `webhook-queue`). */
  onDropped?: (index: number, n: number) => void
}

/** Per webhook, for metrics (index = position in the list). */
export interface WebhookStats { delivered: number, retries: number, failed: number, dropped: number, pending: number, pendingBytes: number, full: boolean }

interface Hook {
  config: ResolvedWebhook
  name: string
  worker: DeliveryWorker
  sub: Subscription | undefined
  reading: Promise<void>
}

export class Webhooks {
  private readonly init: WebhooksInit
  private readonly c: WebhooksComponents
  private readonly queue: DeliveryQueue
  private readonly hooks: Hook[]
  private readonly stopper = new AbortController()
  private readonly nowMs: () => number

  constructor (init: WebhooksInit, components: WebhooksComponents) {
    this.init = init
    this.c = components
    this.nowMs = components.nowMs ?? REAL_CLOCK.nowMs
    const random = components.random ?? Math.random
    const configs = init.hooks.map(resolveWebhook)
    const keys = webhookKeys(init.hooks)
    this.queue = new DeliveryQueue({
      hooks: configs.map((h, i) => ({ key: keys[i] as string, name: webhookName(i, h.url), maxPending: h.maxPending, maxPendingBytes: h.maxPendingBytes }))
    }, { storage: components.storage ?? new MemoryDeliveryStorage(), log: components.log, nowMs: this.nowMs, random, changed: i => { this.hooks[i]?.worker.poke() }, dropped: components.onDropped })
    const workerParts = { queue: this.queue, timers: components.timers ?? REAL_TIMERS, nowMs: this.nowMs, random, fetch: components.fetch ?? fetch, log: components.log, stopped: this.stopper.signal, onAttempt: components.onAttempt }
    this.hooks = configs.map((config, index) => {
      const name = webhookName(index, config.url)
      const key = config.secret === undefined ? undefined : parseSecret(config.secret, `webhook ${name}: secret`)
      return { config, name, worker: new DeliveryWorker({ index, name, hook: config, key }, workerParts), sub: undefined, reading: Promise.resolve() }
    })
  }

  /** Loads the queue (pending deliveries resume), then subscribes and starts the workers. */
  async start (): Promise<void> {
    await this.queue.open()
    for (const [index, hook] of this.hooks.entries()) {
      // Drained into the durable queue at once; the bus buffer only rides out a synchronous burst (its overflow is counted as dropped).
      hook.sub = this.c.bus.subscribe({ prefix: hook.config.prefix, types: hook.config.events, maxBuffered: MAX_SUBSCRIBER_BUFFER, overflow: 'drop-oldest' })
      hook.reading = this.read(index, hook.sub)
      hook.worker.start()
    }
  }

  async stop (): Promise<void> {
    this.stopper.abort()
    for (const h of this.hooks) h.sub?.close('stopped')
    await Promise.all(this.hooks.map(async h => { await h.reading; await h.worker.stopped() }))
    await this.queue.close()
  }

  // ------------------------------------------------------------ the API's

  list (): WebhookInfo[] {
    return this.hooks.map((h, index) => {
      const pending = this.queue.pending(index)
      const c = this.counts(index)
      return {
        index,
        origin: webhookOrigin(h.config.url),
        events: [...(h.config.events ?? [])],
        prefix: h.config.prefix ?? '',
        signed: h.config.secret !== undefined,
        headers: Object.keys(h.config.headers),
        pending: pending.length,
        pendingBytes: this.queue.pendingBytes(index),
        maxPending: h.config.maxPending,
        maxPendingBytes: h.config.maxPendingBytes,
        full: this.queue.isFull(index),
        delivered: c.delivered,
        retries: c.retries,
        failed: c.failed,
        dropped: c.dropped,
        oldestPendingAt: pending[0] === undefined ? null : iso(pending[0].createdAtMs)
      }
    })
  }

  /** Kept deliveries (pending and finished) of one webhook or all, newest queued first. */
  deliveries (index?: number, limit = DEFAULT_LOG_LIMIT): DeliveryInfo[] {
    const indexes = index === undefined ? this.hooks.map((_, i) => i) : [this.checked(index)]
    const rows = indexes.flatMap(i => [...this.queue.pending(i), ...this.queue.finished(i)].map(r => ({ i, r })))
    return rows.sort((a, b) => b.r.seq - a.r.seq).slice(0, limit).map(({ i, r }) => deliveryInfo(i, r))
  }

  /** Queues a `ping` to one webhook or to all. */
  ping (index?: number): PingResult {
    const indexes = index === undefined ? this.hooks.map((_, i) => i) : [this.checked(index)]
    const body = pingBody(this.nowMs(), this.site())
    return { deliveries: indexes.map(i => ({ webhook: i, id: this.queue.enqueue(i, PING_TYPE, null, body).id })) }
  }

  async redeliver (id: string): Promise<DeliveryInfo> {
    const { index, record } = await this.queue.redeliver(id)
    return deliveryInfo(index, record)
  }

  /** For metrics, per webhook in config order. */
  stats (): WebhookStats[] {
    return this.hooks.map((_, i) => {
      const c = this.counts(i)
      return { delivered: c.delivered, retries: c.retries, failed: c.failed, dropped: c.dropped, pending: this.queue.pending(i).length, pendingBytes: this.queue.pendingBytes(i), full: this.queue.isFull(i) }
    })
  }

  // ------------------------------------------------------------ inside

  private async read (index: number, sub: Subscription): Promise<void> {
    for (;;) {
      const event = await sub.next()
      if (event === undefined) return
      this.queue.enqueue(index, event.type, event.key, eventBody(event, this.site()))
    }
  }

  private site (): SiteInfo { return { peerId: this.init.selfId, name: this.c.siteName() } }

  /** The queue's counters, with the events the bus subscription itself had to drop. */
  private counts (index: number): { delivered: number, failed: number, dropped: number, retries: number } {
    const c = this.queue.counters(index)
    return { ...c, dropped: c.dropped + (this.hooks[index]?.sub?.dropped ?? 0) }
  }

  private checked (index: number): number {
    this.queue.pending(index) // NOT_FOUND naming the count if there is no such webhook
    return index
  }
}

/** Each webhook's identity on disk: a hash of its URL (the n-th webhook with the same URL gets `-n`). */
export function webhookKeys (hooks: readonly WebhookConfig[]): string[] {
  const seen = new Map<string, number>()
  return hooks.map(h => {
    const hash = createHash('sha256').update(h.url).digest('hex').slice(0, 16)
    const n = seen.get(hash) ?? 0
    seen.set(hash, n + 1)
    return `${hash}-${n}`
  })
}

function deliveryInfo (webhook: number, r: DeliveryRecord): DeliveryInfo {
  return {
    webhook,
    id: r.id,
    type: r.type,
    key: r.key,
    state: r.state,
    attempts: r.attempts,
    status: r.lastStatus,
    error: r.lastError,
    bytes: r.bytes,
    redeliveries: r.redeliveries,
    createdAt: iso(r.createdAtMs),
    lastAttemptAt: r.lastAttemptAtMs === null ? null : iso(r.lastAttemptAtMs),
    nextAttemptAt: r.state === 'pending' ? iso(r.nextAtMs) : null,
    finishedAt: r.finishedAtMs === null ? null : iso(r.finishedAtMs)
  }
}

function iso (ms: number): string { return new Date(ms).toISOString() }
