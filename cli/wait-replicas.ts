// `publish --wait-replicas N|all [--timeout 60s]`: the publish barrier. After
// the publish is durable here, poll `where` until N members (or all) hold
// verified bytes of the published digest; on timeout, UNAVAILABLE (exit 4)
// naming who is missing. Which members hold bytes comes from the daemon's
// HoldingsSource (the blob layer); until it reports remote holders, only
// this node counts as holding.

import { parseDurationInRange } from '../protocol/duration.js'
import { MycelError } from '../protocol/errors.js'
import type { WhereAnswer } from '../daemon/api/contract.js'
import type { ApiClient } from './api-client.js'

const POLL_MS = 250
const MAX_TIMEOUT_MS = 24 * 3600_000

export function parseReplicas (value: string): number | 'all' {
  if (value === 'all') return 'all'
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw MycelError.usage(`--wait-replicas must be a positive integer or "all", not ${value}`)
  return n
}

/** `--timeout`: a duration (protocol/duration.ts), at most a day. */
export function parseTimeout (value: string): number {
  return parseDurationInRange(value, '--timeout', 0, MAX_TIMEOUT_MS)
}

export async function waitReplicas (api: ApiClient, key: string, digest: string, want: number | 'all', timeoutMs: number): Promise<WhereAnswer> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answer = await api.call<WhereAnswer>('GET', `/v1/where/${encodeURIComponent(key)}`)
    if (answer.digest !== digest) throw new MycelError('UNAVAILABLE', `${key} was superseded by another version (${answer.digest}) while waiting`)
    const holders = answer.members.filter(m => m.bytes === 'held')
    const need = want === 'all' ? answer.members.length : want
    if (holders.length >= need) return answer
    if (Date.now() >= deadline) {
      const missing = answer.members.filter(m => m.bytes !== 'held')
      throw new MycelError('UNAVAILABLE',
        `only ${holders.length} of ${need} members hold verified bytes of ${key} after ${timeoutMs} ms; missing: ${missing.map(m => `${m.peerId} (${m.bytes})`).join(', ')}`,
        { details: { holders: holders.map(m => m.peerId), missing: missing.map(m => ({ peerId: m.peerId, bytes: m.bytes })) } })
    }
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
  }
}
