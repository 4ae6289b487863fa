// A webhook as the config file declares it (`webhooks` in <dir>/config.json),
// checked field by field with a USAGE error naming the field. What is absent
// stays absent (resolve() fills the defaults where it is used), so a checked
// config checks again to itself (config.ts re-validates the merged settings).
//
//   { "url": "https://ci.example/hook", "events": ["available"], "prefix": "builds/",
//     "secret": "whsec_…", "headers": { "x-team": "release" },
//     "timeoutMs": "15s", "retryInitialMs": "1s", "retryMaxMs": "1h", "retryGiveUpMs": "24h",
//     "maxPending": 10000, "maxPendingBytes": 16777216 }

import { parseDurationInRange } from '../../../protocol/duration.js'
import { MycelError } from '../../../protocol/errors.js'
import { isVisEventType, VIS_EVENT_TYPES, type VisEventType } from '../events.js'
import {
  DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_BYTES, DEFAULT_RETRY_GIVE_UP_MS, DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS,
  DEFAULT_TIMEOUT_MS, MAX_CONFIG_DELAY_MS, MAX_CUSTOM_HEADERS, MAX_HEADER_NAME_CHARS, MAX_HEADER_VALUE_CHARS,
  MAX_PENDING_BYTES_LIMIT, MAX_PENDING_LIMIT, MAX_WEBHOOKS
} from './constants.js'
import { parseSecret } from './signing.js'

export interface WebhookConfig {
  url: string
  /** Event types to send; absent or empty = all. */
  events?: VisEventType[]
  /** Only events whose key starts with this (member events always pass). */
  prefix?: string
  /** HMAC key of the Standard Webhooks signature: `whsec_<base64>` or a raw string (its UTF-8 bytes). Default none: unsigned. */
  secret?: string
  /** Sent with every POST (e.g. an Authorization header). Default none. */
  headers?: Record<string, string>
  /** One POST's deadline. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number
  /** First retry delay; doubles per failed attempt. Default DEFAULT_RETRY_INITIAL_MS. */
  retryInitialMs?: number
  /** Longest retry delay. Default DEFAULT_RETRY_MAX_MS. */
  retryMaxMs?: number
  /** Give a delivery up this long after it was queued. Default DEFAULT_RETRY_GIVE_UP_MS. */
  retryGiveUpMs?: number
  /** Deliveries waiting at most; beyond, the oldest is dropped. Default DEFAULT_MAX_PENDING. */
  maxPending?: number
  /** Bytes of waiting bodies at most; beyond, the oldest is dropped. Default DEFAULT_MAX_PENDING_BYTES. */
  maxPendingBytes?: number
}

/** A webhook's settings with every default filled in. */
export type ResolvedWebhook = Required<Omit<WebhookConfig, 'events' | 'prefix' | 'secret'>> & Pick<WebhookConfig, 'events' | 'prefix' | 'secret'>

export function resolveWebhook (c: WebhookConfig): ResolvedWebhook {
  return {
    ...c,
    headers: c.headers ?? {},
    timeoutMs: c.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryInitialMs: c.retryInitialMs ?? DEFAULT_RETRY_INITIAL_MS,
    retryMaxMs: c.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
    retryGiveUpMs: c.retryGiveUpMs ?? DEFAULT_RETRY_GIVE_UP_MS,
    maxPending: c.maxPending ?? DEFAULT_MAX_PENDING,
    maxPendingBytes: c.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES
  }
}

const FIELDS = ['url', 'events', 'prefix', 'secret', 'headers', 'timeoutMs', 'retryInitialMs', 'retryMaxMs', 'retryGiveUpMs', 'maxPending', 'maxPendingBytes'] as const

/** Headers this daemon sets itself (or HTTP owns): a config may not replace them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'transfer-encoding', 'host', 'connection', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])

/** An HTTP field name (RFC 9110 token). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Validates the config's `webhooks` field; throws USAGE naming what is wrong. */
export function parseWebhooks (value: unknown, where: string): WebhookConfig[] {
  const bad = (msg: string): MycelError => MycelError.usage(`${where}: "webhooks" ${msg}`)
  if (!Array.isArray(value)) throw bad('must be a list of { url, events?, prefix?, secret?, headers?, ... }')
  if (value.length > MAX_WEBHOOKS) throw bad(`has ${value.length} entries, over the limit of ${MAX_WEBHOOKS}`)
  return value.map((raw: unknown, i) => parseOne(raw, (msg: string) => bad(`[${i}]${msg}`), `${where}: "webhooks" [${i}]`))
}

function parseOne (raw: unknown, bad: (msg: string) => MycelError, what: string): WebhookConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(' must be an object')
  const fields = raw as Record<string, unknown>
  const extra = Object.keys(fields).find(k => !(FIELDS as readonly string[]).includes(k))
  if (extra !== undefined) throw bad(` has unknown field "${extra}"`)
  const out: WebhookConfig = { url: parseUrl(fields.url, bad) }
  const { events, prefix, secret, headers } = fields
  if (events !== undefined) {
    if (!Array.isArray(events) || !events.every(isVisEventType)) throw bad(`.events must be a list of: ${VIS_EVENT_TYPES.join(', ')}`)
    out.events = events as VisEventType[]
  }
  if (prefix !== undefined) {
    if (typeof prefix !== 'string') throw bad('.prefix must be a string')
    out.prefix = prefix
  }
  if (secret !== undefined) {
    if (typeof secret !== 'string') throw bad('.secret must be a string: whsec_<base64> or a raw secret')
    parseSecret(secret, `${what}.secret`)
    out.secret = secret
  }
  if (headers !== undefined) out.headers = parseHeaders(headers, bad)
  for (const field of ['timeoutMs', 'retryInitialMs', 'retryMaxMs', 'retryGiveUpMs'] as const) {
    if (fields[field] !== undefined) out[field] = delay(fields[field], `${what}.${field}`, field === 'retryGiveUpMs' ? 0 : 1)
  }
  if (fields.maxPending !== undefined) out.maxPending = count(fields.maxPending, 1, MAX_PENDING_LIMIT, () => bad(`.maxPending must be an integer in 1..${MAX_PENDING_LIMIT}`))
  if (fields.maxPendingBytes !== undefined) out.maxPendingBytes = count(fields.maxPendingBytes, 1024, MAX_PENDING_BYTES_LIMIT, () => bad(`.maxPendingBytes must be an integer in 1024..${MAX_PENDING_BYTES_LIMIT}`))
  if ((out.retryMaxMs ?? Infinity) < (out.retryInitialMs ?? 0)) throw bad('.retryMaxMs must not be below .retryInitialMs')
  return out
}

function parseUrl (url: unknown, bad: (msg: string) => MycelError): string {
  let parsed: URL
  try {
    parsed = new URL(String(url))
  } catch {
    throw bad('.url must be an http(s) URL')
  }
  if (typeof url !== 'string' || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) throw bad('.url must be an http(s) URL')
  return url
}

function parseHeaders (value: unknown, bad: (msg: string) => MycelError): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('.headers must be an object of "name": "value"')
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length > MAX_CUSTOM_HEADERS) throw bad(`.headers has ${entries.length} entries, over the limit of ${MAX_CUSTOM_HEADERS}`)
  const out: Record<string, string> = {}
  for (const [name, v] of entries) {
    // The name only: a header's value is often a credential and never goes to an error or a log.
    if (!TOKEN.test(name) || name.length > MAX_HEADER_NAME_CHARS) throw bad(`.headers: "${name.slice(0, 64)}" is not a header name`)
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw bad(`.headers: "${name}" is set by mycel itself`)
    if (typeof v !== 'string' || v.length > MAX_HEADER_VALUE_CHARS || /[\r\n\0]/.test(v)) {
      throw bad(`.headers["${name}"] must be a string of at most ${MAX_HEADER_VALUE_CHARS} characters without line breaks`)
    }
    out[name] = v
  }
  return out
}

/** A `…Ms` field: a number of ms, or a duration string, as everywhere in the config. */
function delay (value: unknown, what: string, minMs: number): number {
  if (typeof value === 'string') return parseDurationInRange(value, what, minMs, MAX_CONFIG_DELAY_MS)
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minMs || value > MAX_CONFIG_DELAY_MS) {
    throw MycelError.usage(`${what} must be an integer number of ms in ${minMs}..${MAX_CONFIG_DELAY_MS}, or a duration string such as "10m"`)
  }
  return value
}

function count (value: unknown, min: number, max: number, bad: () => MycelError): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw bad()
  return value
}

/** `#0 https://ci.example`: enough to tell webhooks apart in a log without writing their secrets there. */
export function webhookName (index: number, url: string): string {
  return `#${index} ${webhookOrigin(url)}`
}

/** The URL's origin: never its user info, path or query (where secret tokens live). */
export function webhookOrigin (url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return '?'
  }
}
