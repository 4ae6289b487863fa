// The shapes of webhook delivery: a delivery's record as it is kept on disk,
// and the answers of the API (`GET /v1/webhooks`, `/v1/webhooks/log`, ping,
// redeliver; re-exported by api/contract.ts, so their field names are the
// `--json` contract of `mycel webhooks`).

/**
 * pending: queued, waiting for its (next) attempt. delivered: a 2xx answer. failed: given up after
 * retryGiveUpMs. dropped: pushed out of a full queue before it was delivered.
 */
export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'dropped'

/** One delivery of one body to one webhook, kept (as JSON) under its webhook and sequence number. */
export interface DeliveryRecord {
  /** The webhook's identity on disk (webhookKey()): survives a reordering of the config. */
  hook: string
  /** Order within the webhook (and across them: one counter per data dir); changes when redelivered. */
  seq: number
  /** `webhook-id`: the same on every attempt and redelivery; a receiver's idempotency key. */
  id: string
  /** The event's type, or 'ping'. */
  type: string
  key: string | null
  /** UTF-8 bytes of the body. */
  bytes: number
  state: DeliveryState
  /** Attempts made (since queued or last redelivered). */
  attempts: number
  createdAtMs: number
  /** Pending: when the next attempt is due. */
  nextAtMs: number
  lastAttemptAtMs: number | null
  /** HTTP status of the last attempt, null when there was no answer. */
  lastStatus: number | null
  /** What went wrong with the last attempt (e.g. `HTTP 503`, `timeout after 15000 ms`, `ECONNREFUSED`). */
  lastError: string | null
  finishedAtMs: number | null
  /** Times it was queued again by `mycel webhooks redeliver`. */
  redeliveries: number
}

/** A row of `mycel webhooks log --json` (GET /v1/webhooks/log), newest first. */
export interface DeliveryInfo {
  /** The webhook's index in the config's list. */
  webhook: number
  id: string
  type: string
  key: string | null
  state: DeliveryState
  attempts: number
  /** HTTP status of the last attempt, or null. */
  status: number | null
  error: string | null
  bytes: number
  redeliveries: number
  createdAt: string
  lastAttemptAt: string | null
  /** When a pending delivery is tried next; null once finished. */
  nextAttemptAt: string | null
  finishedAt: string | null
}

/** A row of `mycel webhooks --json` (GET /v1/webhooks). Never the URL's path or query, the secret or header values. */
export interface WebhookInfo {
  index: number
  /** The URL's origin (scheme, host, port). */
  origin: string
  /** Event types sent; empty: all. */
  events: string[]
  prefix: string
  signed: boolean
  /** Names of the custom headers. */
  headers: string[]
  pending: number
  pendingBytes: number
  /** The queue's bounds (the config's maxPending, maxPendingBytes or their defaults). */
  maxPending: number
  maxPendingBytes: number
  /** At its bound: the latest delivery queued pushed the oldest waiting one out, and none has been answered or given up since. */
  full: boolean
  /** Since the daemon started. */
  delivered: number
  /** Failed attempts that will be (or were) tried again. */
  retries: number
  failed: number
  dropped: number
  /** When the oldest pending delivery was queued; null when none waits. */
  oldestPendingAt: string | null
}

/** POST /v1/webhooks/ping: the ping queued for each webhook asked. */
export interface PingResult {
  deliveries: Array<{ webhook: number, id: string }>
}
