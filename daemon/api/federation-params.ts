// Parsing of the federation routes' query parameters (routes.ts stays a table).

import { MycelError } from '../../protocol/errors.js'
import type { Role } from '../../protocol/event.js'
import type { InviteRequest } from '../federation/ops.js'

const ROLES: Role[] = ['reader', 'writer', 'admin']

export function inviteRequestOf (q: URLSearchParams): InviteRequest {
  const req: InviteRequest = {}
  const role = q.get('role')
  if (role !== null) {
    if (!(ROLES as string[]).includes(role)) throw MycelError.usage(`role must be reader, writer or admin, not ${role}`)
    req.role = role as Role
  }
  const ttl = q.get('ttlMs')
  if (ttl !== null) req.ttlMs = positiveInt(ttl, 'ttlMs')
  const uses = q.get('uses')
  if (uses !== null) req.uses = positiveInt(uses, 'uses')
  return req
}

function positiveInt (text: string, what: string): number {
  if (!/^[0-9]{1,16}$/.test(text)) throw MycelError.usage(`${what} must be a positive integer`)
  return Number(text)
}

/** A token travels ~1-2 KiB of text; 16 KiB leaves room and bounds what a caller can make us buffer. */
const MAX_TOKEN_BODY_BYTES = 16 * 1024

/** The request body as text, refused past MAX_TOKEN_BODY_BYTES (checked as it arrives). */
export async function readToken (req: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = []
  let n = 0
  for await (const chunk of req) {
    n += chunk.length
    if (n > MAX_TOKEN_BODY_BYTES) throw MycelError.tooLarge('invite token', n, MAX_TOKEN_BODY_BYTES)
    chunks.push(Buffer.from(chunk))
  }
  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') throw MycelError.usage('no invite token given')
  return text
}
