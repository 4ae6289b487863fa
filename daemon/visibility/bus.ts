// The in-process event bus: one publisher side (the observer hooks), many
// subscribers (each `GET /v1/events` stream, each webhook, the status page).
// Every subscriber has its own bounded buffer. Publishing never blocks and
// never fails: a subscriber whose buffer is full is either closed ("slow",
// the default — a watch stream that cannot keep up is cut off and told so) or,
// for webhooks, loses its oldest event (counted). A small ring of recent
// events serves the status page's first paint.

import { MycelError } from '../../protocol/errors.js'
import { matches, type VisEvent, type VisEventDraft, type VisEventType } from './events.js'
import { MAX_SUBSCRIBER_BUFFER, MAX_SUBSCRIBERS, RECENT_EVENTS } from './limits.js'

export interface SubscribeOptions {
  prefix?: string
  types?: readonly VisEventType[]
  /** Events buffered before overflow. Default MAX_SUBSCRIBER_BUFFER. */
  maxBuffered?: number
  /** 'close': drop the subscriber (default). 'drop-oldest': keep it, lose its oldest event. */
  overflow?: 'close' | 'drop-oldest'
}

/** A recent event whose body is built on first read (publishLazy). */
interface LazyVisEvent { id: number, atMs: number, build: () => VisEventDraft }

export type CloseReason = 'unsubscribed' | 'slow' | 'stopped'

export class Subscription implements AsyncIterable<VisEvent> {
  readonly options: SubscribeOptions
  /** Events lost to drop-oldest overflow. */
  dropped = 0
  closedBecause: CloseReason | undefined
  private readonly buffer: VisEvent[] = []
  private wake: (() => void) | undefined
  private readonly onClose: (s: Subscription) => void

  constructor (options: SubscribeOptions, onClose: (s: Subscription) => void) {
    this.options = options
    this.onClose = onClose
  }

  get buffered (): number { return this.buffer.length }

  /** Called by the bus. */
  offer (event: VisEvent): void {
    if (this.closedBecause !== undefined || !matches(event, this.options)) return
    if (this.buffer.length >= (this.options.maxBuffered ?? MAX_SUBSCRIBER_BUFFER)) {
      if (this.options.overflow === 'drop-oldest') {
        this.buffer.shift()
        this.dropped++
      } else {
        this.close('slow')
        return
      }
    }
    this.buffer.push(event)
    this.notify()
  }

  close (reason: CloseReason = 'unsubscribed'): void {
    if (this.closedBecause !== undefined) return
    this.closedBecause = reason
    this.onClose(this)
    this.notify()
  }

  /** The next event, or undefined once closed (buffered events of a slow subscriber are discarded). */
  async next (): Promise<VisEvent | undefined> {
    for (;;) {
      if (this.closedBecause === 'slow') return undefined
      const event = this.buffer.shift()
      if (event !== undefined) return event
      if (this.closedBecause !== undefined) return undefined
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  async * [Symbol.asyncIterator] (): AsyncIterator<VisEvent> {
    for (;;) {
      const event = await this.next()
      if (event === undefined) return
      yield event
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

export interface EventBusInit {
  /** Wall clock for atMs. Default Date.now. */
  nowMs?: () => number
  maxSubscribers?: number
  recent?: number
}

export class EventBus {
  private readonly subs = new Set<Subscription>()
  /** Recent events; an entry published lazily (nobody subscribed) is built when first read. */
  private readonly recentRing: Array<VisEvent | LazyVisEvent> = []
  private readonly nowMs: () => number
  private readonly maxSubscribers: number
  private readonly recentMax: number
  private lastId = 0
  /** Counts per type, for metrics. */
  readonly counts = new Map<VisEventType, number>()
  /** Subscribers closed for being slow, for metrics. */
  slowDropped = 0

  constructor (init: EventBusInit = {}) {
    this.nowMs = init.nowMs ?? Date.now
    this.maxSubscribers = init.maxSubscribers ?? MAX_SUBSCRIBERS
    this.recentMax = init.recent ?? RECENT_EVENTS
  }

  get subscribers (): number { return this.subs.size }

  publish (draft: VisEventDraft): VisEvent {
    const event: VisEvent = { ...draft, id: ++this.lastId, atMs: this.nowMs() }
    this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1)
    this.remember(event)
    for (const sub of [...this.subs]) sub.offer(event)
    return event
  }

  /**
   * publish() for a draft that is costly to build (a cid per applied put): with no
   * subscriber the draft is built only if the recent ring is read while it is still
   * there, so a catch-up applying 100 000 events builds ~200 of them, not 100 000.
   * Same ids, times and counts as publish().
   */
  publishLazy (type: VisEventType, build: () => VisEventDraft): void {
    if (this.subs.size > 0) {
      this.publish(build())
      return
    }
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1)
    this.remember({ id: ++this.lastId, atMs: this.nowMs(), build })
  }

  private remember (entry: VisEvent | LazyVisEvent): void {
    this.recentRing.push(entry)
    if (this.recentRing.length > this.recentMax) this.recentRing.shift()
  }

  /** Throws UNAVAILABLE when MAX_SUBSCRIBERS are already attached. */
  subscribe (options: SubscribeOptions = {}): Subscription {
    if (this.subs.size >= this.maxSubscribers) throw new MycelError('UNAVAILABLE', `too many event subscribers (limit ${this.maxSubscribers})`)
    const sub = new Subscription(options, s => {
      this.subs.delete(s)
      if (s.closedBecause === 'slow') this.slowDropped++
    })
    this.subs.add(sub)
    return sub
  }

  /** Up to `n` most recent events matching the filter, oldest first. */
  recent (n: number, filter: { prefix?: string, types?: readonly VisEventType[] } = {}): VisEvent[] {
    if (n <= 0) return [] // slice(-0) would be the whole ring
    const ring = this.recentRing
    for (let i = 0; i < ring.length; i++) {
      const entry = ring[i]
      if ('build' in entry) ring[i] = { ...entry.build(), id: entry.id, atMs: entry.atMs }
    }
    return (ring as VisEvent[]).filter(e => matches(e, filter)).slice(-n)
  }

  /** Closes every subscriber (daemon stop): streams end cleanly. */
  stop (): void {
    for (const sub of [...this.subs]) sub.close('stopped')
  }
}
