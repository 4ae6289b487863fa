// One webhook's delivery loop: its queue's head, one attempt at a time, in
// order. It sleeps until the head is due (woken early by a new delivery or a
// redelivery), waits for the head to be on disk, POSTs it, and hands the
// result to the queue: delivered, or retried at the backoff's next time
// (backoff.ts), or given up. A slow or dead receiver holds only this loop.
// Every wait is on the injected timers, so tests drive it in virtual time.

import type { Logger } from '../../log.js'
import { nextAttemptAt } from './backoff.js'
import type { ResolvedWebhook } from './config.js'
import { attempt } from './post.js'
import type { DeliveryQueue } from './queue.js'
import { MAX_TIMER_MS, type Timers } from './timers.js'

export interface WorkerComponents {
  queue: DeliveryQueue
  timers: Timers
  nowMs: () => number
  random: () => number
  fetch: typeof fetch
  log: Logger
  stopped: AbortSignal
  /** Each attempt's duration and outcome (metrics). */
  onAttempt?: (index: number, seconds: number, ok: boolean) => void
}

export interface WorkerInit {
  index: number
  name: string
  hook: ResolvedWebhook
  /** The HMAC key, when the webhook has a secret. */
  key: Uint8Array | undefined
}

export class DeliveryWorker {
  private readonly init: WorkerInit
  private readonly c: WorkerComponents
  private wake: (() => void) | undefined
  private done: Promise<void> = Promise.resolve()

  constructor (init: WorkerInit, components: WorkerComponents) {
    this.init = init
    this.c = components
  }

  start (): void {
    this.done = this.run().catch(err => { this.c.log.error('webhook worker stopped', { webhook: this.init.name, err }) })
  }

  /** The queue changed: look at the head again now. */
  poke (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /** Resolves once the loop has ended (the stop signal aborted it). */
  async stopped (): Promise<void> {
    this.poke()
    await this.done
  }

  private async run (): Promise<void> {
    const { queue, stopped } = this.c
    const { index } = this.init
    while (!stopped.aborted) {
      const record = queue.head(index)
      if (record === undefined) { await this.sleep(undefined); continue }
      const waitMs = record.nextAtMs - this.c.nowMs()
      // Longer than any delay this webhook schedules: the wall clock went back (the schedule is in wall time, to
      // outlive the process). Due now rather than stalled for as long as the clock jumped.
      if (waitMs > 0 && waitMs <= this.init.hook.retryMaxMs) { await this.sleep(waitMs); continue }
      await queue.whenDurable(record)
      if (stopped.aborted || queue.head(index) !== record) continue
      queue.setInFlight(index, record)
      try {
        await this.attemptOne(record)
      } finally {
        queue.setInFlight(index, undefined)
      }
    }
  }

  private async attemptOne (record: NonNullable<ReturnType<DeliveryQueue['head']>>): Promise<void> {
    const { queue } = this.c
    const { index, hook } = this.init
    const body = await queue.body(record)
    const startedMs = this.c.nowMs()
    if (body === undefined) {
      // Its write failed and memory no longer has it: nothing can be sent; given up at once, said why.
      queue.attemptFailed(index, record, { status: null, error: 'body not found in the delivery store', atMs: startedMs }, 'give-up')
      return
    }
    const result = await attempt({ url: hook.url, id: record.id, body, headers: hook.headers, key: this.init.key, timeoutMs: hook.timeoutMs }, this.c)
    if (this.c.stopped.aborted) return // cut short by the daemon's stop: not an attempt; tried again after the restart
    const atMs = this.c.nowMs()
    this.c.onAttempt?.(index, Math.max(0, atMs - startedMs) / 1000, result.ok)
    if (result.ok) {
      queue.delivered(index, record, result.status, atMs)
      return
    }
    const next = nextAttemptAt(record.createdAtMs, record.attempts + 1, atMs, hook, this.c.random())
    if (next !== 'give-up') this.c.log.debug('webhook delivery failed; will retry', { webhook: this.init.name, id: record.id, attempt: record.attempts + 1, problem: result.error, retryInMs: next - atMs })
    queue.attemptFailed(index, record, { status: result.status, error: result.error, atMs }, next)
  }

  /** Until poked, stopped, or `ms` passed (undefined: no timer). */
  private async sleep (ms: number | undefined): Promise<void> {
    if (this.c.stopped.aborted) return
    await new Promise<void>(resolve => {
      const cancel = ms === undefined ? undefined : this.c.timers.after(Math.min(ms, MAX_TIMER_MS), done)
      const signal = this.c.stopped
      const self = this
      function done (): void {
        cancel?.()
        signal.removeEventListener('abort', done)
        if (self.wake === done) self.wake = undefined
        resolve()
      }
      this.wake = done
      signal.addEventListener('abort', done)
    })
  }
}
