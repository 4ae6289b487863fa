// The Standard Webhooks signature (standardwebhooks.com, spec 1.0.0, symmetric
// scheme): every POST carries
//   webhook-id:        the delivery's id, the same on every attempt (a receiver's idempotency key)
//   webhook-timestamp: the attempt's time, integer Unix seconds (a receiver rejects old ones: replays)
//   webhook-signature: v1,<base64 of HMAC-SHA256(key, "<id>.<timestamp>.<body>")>
// A secret given as `whsec_<base64>` is that base64's bytes (as the spec's
// libraries read it); any other string is its own UTF-8 bytes (their "raw"
// format). Error messages never quote a secret.

import { createHmac } from 'node:crypto'
import { MycelError } from '../../../protocol/errors.js'
import { MAX_RAW_SECRET_BYTES, MAX_SECRET_BYTES, MIN_SECRET_BYTES } from './constants.js'

const PREFIX = 'whsec_'
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** The HMAC key of a configured secret; USAGE (naming `what`, never the secret) if it is not one. */
export function parseSecret (secret: string, what: string): Uint8Array {
  if (secret.startsWith(PREFIX)) {
    const text = secret.slice(PREFIX.length)
    const key = Buffer.from(text, 'base64')
    if (!BASE64.test(text) || key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
      throw MycelError.usage(`${what} starts with whsec_ but the rest is not base64`)
    }
    if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
      throw MycelError.usage(`${what} is a whsec_ key of ${key.length} bytes; it must have ${MIN_SECRET_BYTES}..${MAX_SECRET_BYTES} (e.g. whsec_$(head -c 32 /dev/urandom | base64))`)
    }
    return new Uint8Array(key)
  }
  const key = Buffer.from(secret, 'utf8')
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_RAW_SECRET_BYTES) {
    throw MycelError.usage(`${what} is ${key.length} bytes; a raw secret must have ${MIN_SECRET_BYTES}..${MAX_RAW_SECRET_BYTES} (or give whsec_<base64>)`)
  }
  return new Uint8Array(key)
}

/** The `webhook-signature` value of one attempt. */
export function signature (key: Uint8Array, id: string, timestampS: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampS}.${body}`).digest('base64')}`
}

/** The Standard Webhooks headers of one attempt; the signature only with a key. */
export function standardHeaders (id: string, nowMs: number, body: string, key: Uint8Array | undefined): Record<string, string> {
  const timestampS = Math.floor(nowMs / 1000)
  const headers: Record<string, string> = { 'webhook-id': id, 'webhook-timestamp': String(timestampS) }
  if (key !== undefined) headers['webhook-signature'] = signature(key, id, timestampS, body)
  return headers
}
