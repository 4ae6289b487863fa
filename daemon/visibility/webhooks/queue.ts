// The durable delivery queue of every webhook, and their delivery logs.
//
//   enqueue ──► pending (seq order) ──► head: the worker's next attempt ──► finished (the log)
//                  │ full: oldest dropped ──────────────────────────────────►   │ full: oldest forgotten
//   redeliver(id) ─┘ (a finished one comes back at the tail; a pending one is due now)
//
// Memory holds every kept delivery's record (~200 B); a body only until it is
// on disk (or, if that write failed, while it is pending: it is then delivered
// from memory and cannot survive a restart). Bodies are read from the storage
// at each attempt. Each change is handed to the group-committing writer at
// once; a new delivery's first attempt waits until it is on disk
// (whenDurable), so whatever was attempted survives a restart, and after a
// restart the pending deliveries resume on their schedule.
// Bounds per webhook: maxPending deliveries and maxPendingBytes of bodies
// waiting (oldest dropped: counted, logged at most once a minute, kept in the
// log as `dropped`); MAX_LOG_ENTRIES and MAX_LOG_BYTES finished (oldest forgotten).

import { MycelError } from '../../../protocol/errors.js'
import type { Logger } from '../../log.js'
import { BatchWriter } from './batch-writer.js'
import { DROP_LOG_INTERVAL_MS, MAX_LOG_BYTES, MAX_LOG_ENTRIES } from './constants.js'
import type { DeliveryOp, DeliveryStorage } from './storage.js'
import type { DeliveryRecord, DeliveryState } from './types.js'

export interface QueueHook {
  /** Its identity on disk (webhookKeys()). */
  key: string
  /** How logs name it (webhookName()). */
  name: string
  maxPending: number
  maxPendingBytes: number
}

export interface DeliveryQueueComponents {
  storage: DeliveryStorage
  log: Logger
  nowMs: () => number
  random: () => number
  /** Webhook `index`'s queue changed (a new delivery, one due now): its worker looks again. */
  changed: (index: number) => void
  /** `n` waiting deliveries of webhook `index` were dropped from its full queue (the daemon's shed ledger). */
  dropped?: (index: number, n: number) => void
}

/** Counted since start, per webhook. */
export interface HookCounters { delivered: number, failed: number, dropped: number, retries: number }

interface HookQueue {
  hook: QueueHook
  pending: DeliveryRecord[]
  finished: DeliveryRecord[]
  pendingBytes: number
  finishedBytes: number
  counters: HookCounters
  /** The delivery being attempted: never dropped from under its POST. */
  inFlight: DeliveryRecord | undefined
  dropsUnlogged: number
  lastDropLogMs: number
  /** Set when a new delivery pushed an older one out; cleared when one leaves the queue by an answer or a give-up. */
  full: boolean
}

const NONCE_CHARS = 'abcdefghijklmnopqrstuvwxyz234567'

export class DeliveryQueue {
  private readonly c: DeliveryQueueComponents
  private readonly hooks: HookQueue[]
  private readonly writer: BatchWriter
  private readonly durable = new Map<DeliveryRecord, Promise<void>>()
  /** Bodies not (yet) on disk: until their write succeeds, or while pending if it failed. */
  private readonly unwritten = new Map<DeliveryRecord, string>()
  private lastSeq = 0
  private nonce = ''
  private lastWriteErrorLogMs = -Infinity
  /** Writes that failed (the deliveries went on from memory). */
  writeErrors = 0

  constructor (init: { hooks: QueueHook[] }, components: DeliveryQueueComponents) {
    this.c = components
    this.writer = new BatchWriter(components.storage)
    this.hooks = init.hooks.map(hook => ({ hook, pending: [], finished: [], pendingBytes: 0, finishedBytes: 0, counters: { delivered: 0, failed: 0, dropped: 0, retries: 0 }, inFlight: undefined, dropsUnlogged: 0, lastDropLogMs: -Infinity, full: false }))
  }

  /** Loads what the storage holds; deliveries of webhooks no longer configured are forgotten (logged). */
  async open (): Promise<void> {
    const { records, meta } = await this.c.storage.load()
    this.nonce = meta?.nonce ?? this.newNonce()
    this.lastSeq = records.reduce((max, r) => Math.max(max, r.seq), meta?.lastSeq ?? 0)
    const byKey = new Map(this.hooks.map(q => [q.hook.key, q]))
    const ops: DeliveryOp[] = [{ op: 'meta', meta: { lastSeq: this.lastSeq, nonce: this.nonce } }]
    let orphans = 0
    for (const r of records.sort((a, b) => a.seq - b.seq)) {
      const q = byKey.get(r.hook)
      if (q === undefined) {
        orphans++
        ops.push({ op: 'del', hook: r.hook, seq: r.seq })
      } else if (r.state === 'pending') {
        q.pending.push(r)
        q.pendingBytes += r.bytes
      } else {
        q.finished.push(r)
        q.finishedBytes += r.bytes
      }
    }
    if (orphans > 0) this.c.log.info('webhook deliveries of webhooks no longer in the config were forgotten', { deliveries: orphans })
    this.hooks.forEach((q, i) => {
      q.finished.sort((a, b) => (a.finishedAtMs ?? 0) - (b.finishedAtMs ?? 0) || a.seq - b.seq)
      ops.push(...this.enforceBounds(i), ...this.trimLog(q))
      if (q.pending.length > 0) this.c.log.info('webhook deliveries resume', { webhook: q.hook.name, pending: q.pending.length })
    })
    await this.writer.add(ops)
  }

  /** Waits for every change handed over so far to be written. */
  async close (): Promise<void> { await this.writer.flush() }

  /** Queues one body for webhook `index`; its first attempt is due now. */
  enqueue (index: number, type: string, key: string | null, body: string): DeliveryRecord {
    const q = this.hook(index)
    const now = this.c.nowMs()
    const seq = ++this.lastSeq
    const record: DeliveryRecord = {
      hook: q.hook.key, seq, id: `msg_${this.nonce}_${seq}`, type, key, bytes: Buffer.byteLength(body), state: 'pending', attempts: 0,
      createdAtMs: now, nextAtMs: now, lastAttemptAtMs: null, lastStatus: null, lastError: null, finishedAtMs: null, redeliveries: 0
    }
    q.pending.push(record)
    q.pendingBytes += record.bytes
    this.track(record, body, [{ op: 'body', hook: q.hook.key, seq, body }, { op: 'put', record }, this.metaOp(), ...this.enforceBounds(index)])
    this.c.changed(index)
    return record
  }

  head (index: number): DeliveryRecord | undefined { return this.hook(index).pending[0] }

  /** Resolves once the delivery is on disk (or its write failed: it is then delivered from memory). */
  async whenDurable (record: DeliveryRecord): Promise<void> { await this.durable.get(record) }

  async body (record: DeliveryRecord): Promise<string | undefined> {
    return this.unwritten.get(record) ?? await this.c.storage.body(record.hook, record.seq)
  }

  /** The worker begins (record) or ends (undefined) an attempt. */
  setInFlight (index: number, record: DeliveryRecord | undefined): void { this.hook(index).inFlight = record }

  /** An attempt answered 2xx. */
  delivered (index: number, record: DeliveryRecord, status: number, atMs: number): void {
    Object.assign(record, { attempts: record.attempts + 1, lastAttemptAtMs: atMs, lastStatus: status, lastError: null })
    this.hook(index).counters.delivered++
    this.finish(index, record, 'delivered')
  }

  /** An attempt failed: `next` is when to try again, or 'give-up'. */
  attemptFailed (index: number, record: DeliveryRecord, failure: { status: number | null, error: string, atMs: number }, next: number | 'give-up'): void {
    Object.assign(record, { attempts: record.attempts + 1, lastAttemptAtMs: failure.atMs, lastStatus: failure.status, lastError: failure.error })
    const q = this.hook(index)
    if (next === 'give-up') {
      q.counters.failed++
      this.c.log.warn('webhook delivery given up', { webhook: q.hook.name, id: record.id, type: record.type, key: record.key, attempts: record.attempts, problem: failure.error })
      this.finish(index, record, 'failed')
      return
    }
    q.counters.retries++
    record.nextAtMs = next
    this.save([{ op: 'put', record }])
  }

  /** Where a delivery is: its webhook's index and record, or undefined. */
  find (id: string): { index: number, record: DeliveryRecord } | undefined {
    for (const [index, q] of this.hooks.entries()) {
      const record = q.pending.find(r => r.id === id) ?? q.finished.find(r => r.id === id)
      if (record !== undefined) return { index, record }
    }
    return undefined
  }

  /**
   * Delivers `id` again, with the same id and body: a pending one is due now; a finished one
   * (delivered, failed, dropped) is queued again at its webhook's tail. NOT_FOUND if no longer kept.
   */
  async redeliver (id: string): Promise<{ index: number, record: DeliveryRecord }> {
    const found = this.find(id)
    if (found === undefined) throw new MycelError('NOT_FOUND', `no delivery ${id} is kept (mycel webhooks log lists them)`)
    const { index, record: old } = found
    const q = this.hook(index)
    if (old.state === 'pending') {
      old.nextAtMs = this.c.nowMs()
      this.save([{ op: 'put', record: old }])
      this.c.changed(index)
      return found
    }
    await this.writer.flush() // a body dropped before its batch left is read once it is written
    const body = await this.c.storage.body(old.hook, old.seq)
    const at = q.finished.indexOf(old)
    if (body === undefined || at < 0) throw new MycelError('NOT_FOUND', `delivery ${id} is no longer kept`)
    q.finished.splice(at, 1)
    q.finishedBytes -= old.bytes
    const now = this.c.nowMs()
    const record: DeliveryRecord = {
      ...old, seq: ++this.lastSeq, state: 'pending', attempts: 0, createdAtMs: now, nextAtMs: now,
      lastAttemptAtMs: null, lastStatus: null, lastError: null, finishedAtMs: null, redeliveries: old.redeliveries + 1
    }
    q.pending.push(record)
    q.pendingBytes += record.bytes
    this.track(record, body, [{ op: 'del', hook: old.hook, seq: old.seq }, { op: 'body', hook: record.hook, seq: record.seq, body }, { op: 'put', record }, this.metaOp(), ...this.enforceBounds(index)])
    this.c.changed(index)
    return { index, record }
  }

  pending (index: number): readonly DeliveryRecord[] { return this.hook(index).pending }
  finished (index: number): readonly DeliveryRecord[] { return this.hook(index).finished }
  pendingBytes (index: number): number { return this.hook(index).pendingBytes }
  counters (index: number): HookCounters { return this.hook(index).counters }
  /** True while the webhook's queue is at its bound: what is queued now pushes the oldest waiting delivery out. */
  isFull (index: number): boolean { return this.hook(index).full }

  private hook (index: number): HookQueue {
    const q = this.hooks[index]
    if (q === undefined) throw new MycelError('NOT_FOUND', `no webhook #${index} (${this.hooks.length} configured)`)
    return q
  }

  /** Moves a pending delivery to the log. */
  private finish (index: number, record: DeliveryRecord, state: Exclude<DeliveryState, 'pending'>): void {
    const q = this.hook(index)
    const at = q.pending.indexOf(record)
    if (at >= 0) {
      q.pending.splice(at, 1)
      q.pendingBytes -= record.bytes
    }
    Object.assign(record, { state, finishedAtMs: this.c.nowMs() })
    q.full = false
    this.unwritten.delete(record)
    q.finished.push(record)
    q.finishedBytes += record.bytes
    this.save([{ op: 'put', record }, ...this.trimLog(q)])
  }

  /** Drops the oldest waiting deliveries (never the one in flight) until the webhook is within its bounds. */
  private enforceBounds (index: number): DeliveryOp[] {
    const q = this.hook(index)
    const ops: DeliveryOp[] = []
    let dropped = 0
    while (q.pending.length > q.hook.maxPending || q.pendingBytes > q.hook.maxPendingBytes) {
      const victim = q.pending[0] === q.inFlight ? q.pending[1] : q.pending[0]
      if (victim === undefined) break
      q.pending.splice(q.pending.indexOf(victim), 1)
      q.pendingBytes -= victim.bytes
      Object.assign(victim, { state: 'dropped', finishedAtMs: this.c.nowMs() })
      this.unwritten.delete(victim)
      q.finished.push(victim)
      q.finishedBytes += victim.bytes
      ops.push({ op: 'put', record: victim })
      dropped++
    }
    if (dropped === 0) return ops
    q.full = true
    q.counters.dropped += dropped
    this.c.dropped?.(index, dropped)
    q.dropsUnlogged += dropped
    const now = this.c.nowMs()
    if (now - q.lastDropLogMs >= DROP_LOG_INTERVAL_MS) {
      this.c.log.warn('webhook queue full: oldest deliveries dropped (kept in the log as dropped; one line a minute at most)', {
        webhook: q.hook.name, dropped: q.dropsUnlogged, droppedTotal: q.counters.dropped, pending: q.pending.length, pendingBytes: q.pendingBytes
      })
      q.dropsUnlogged = 0
      q.lastDropLogMs = now
    }
    return [...ops, ...this.trimLog(q)]
  }

  /** Forgets the oldest finished deliveries beyond the log's bounds. */
  private trimLog (q: HookQueue): DeliveryOp[] {
    const ops: DeliveryOp[] = []
    while (q.finished.length > MAX_LOG_ENTRIES || (q.finishedBytes > MAX_LOG_BYTES && q.finished.length > 0)) {
      const old = q.finished.shift() as DeliveryRecord
      q.finishedBytes -= old.bytes
      ops.push({ op: 'del', hook: old.hook, seq: old.seq })
    }
    return ops
  }

  private metaOp (): DeliveryOp { return { op: 'meta', meta: { lastSeq: this.lastSeq, nonce: this.nonce } } }

  /** Hands a new delivery's changes to the writer; its attempts wait for them. */
  private track (record: DeliveryRecord, body: string, ops: DeliveryOp[]): void {
    this.unwritten.set(record, body)
    const written = this.writer.add(ops).then(
      () => { this.unwritten.delete(record) },
      err => { this.writeFailed(err) }
    ).finally(() => { this.durable.delete(record) })
    this.durable.set(record, written)
  }

  private save (ops: DeliveryOp[]): void {
    this.writer.add(ops).catch(err => { this.writeFailed(err) })
  }

  private writeFailed (err: unknown): void {
    this.writeErrors++
    const now = this.c.nowMs()
    if (now - this.lastWriteErrorLogMs < DROP_LOG_INTERVAL_MS) return
    this.lastWriteErrorLogMs = now
    this.c.log.error('webhook queue write failed: deliveries go on from memory and may not survive a restart', { err, failures: this.writeErrors })
  }

  private newNonce (): string {
    let out = ''
    for (let i = 0; i < 10; i++) out += NONCE_CHARS[Math.floor(this.c.random() * NONCE_CHARS.length)]
    return out
  }
}
