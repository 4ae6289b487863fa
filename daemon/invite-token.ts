// Invite tokens: everything a new node needs to reach a federation, as
// base64url of JSON `{ v: 1, federation, peer, addrs }`. The federation issue
// adds roles, expiry and a signature in a later version; the flow (invite on
// a member, `daemon --join TOKEN` on the newcomer) stays the same.

import { MycelError } from '../protocol/errors.js'
import { MAX_INVITE_TOKEN_CHARS } from './limits.js'

export interface InviteToken {
  v: 1
  /** The federation id the joiner adopts. */
  federation: string
  /** The inviter's peer id. */
  peer: string
  /** Multiaddrs the inviter listens on (without /p2p/). */
  addrs: string[]
}

export function encodeInvite (token: Omit<InviteToken, 'v'>): string {
  const body: InviteToken = { v: 1, federation: token.federation, peer: token.peer, addrs: token.addrs }
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url')
}

export function decodeInvite (text: string): InviteToken {
  const bad = (why: string): MycelError => MycelError.usage(`invalid invite token: ${why}`)
  const trimmed = text.trim()
  if (trimmed.length === 0) throw bad('empty')
  if (trimmed.length > MAX_INVITE_TOKEN_CHARS) throw bad(`longer than ${MAX_INVITE_TOKEN_CHARS} characters`)
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed)) throw bad('not base64url')
  let raw: unknown
  try {
    raw = JSON.parse(Buffer.from(trimmed, 'base64url').toString('utf8'))
  } catch {
    throw bad('not JSON inside')
  }
  if (typeof raw !== 'object' || raw === null) throw bad('not an object')
  const t = raw as Record<string, unknown>
  if (t.v !== 1) throw new MycelError('UNSUPPORTED_VERSION', `invite token version ${String(t.v)} is not supported by this build`)
  if (typeof t.federation !== 'string' || !/^[a-z0-9]{8,64}$/.test(t.federation)) throw bad('bad federation id')
  if (typeof t.peer !== 'string' || t.peer.length === 0 || t.peer.length > 128) throw bad('bad peer id')
  if (!Array.isArray(t.addrs) || t.addrs.length === 0 || t.addrs.length > 32 ||
    !t.addrs.every(a => typeof a === 'string' && a.startsWith('/') && a.length < 512)) {
    throw bad('bad address list')
  }
  return { v: 1, federation: t.federation, peer: t.peer, addrs: t.addrs as string[] }
}
