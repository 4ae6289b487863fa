// For `mycel fetch --wait DURATION` (the fetch command belongs to the blob
// layer): wait until this node holds verified bytes of KEY's current version,
// reporting progress, instead of failing at once. Reads this node's row of
// `where` (HoldingsSource.localProgress): held ⇒ done; fetching ⇒ progress;
// missing ⇒ keep waiting (the blob layer fetches it). UNAVAILABLE (exit 4) at
// the deadline, NOT_FOUND (exit 3) if the key does not exist.

import { MycelError } from '../protocol/errors.js'
import type { WhereAnswer, WhereRow } from '../daemon/api/contract.js'
import type { ApiClient } from './api-client.js'

const POLL_MS = 250

export async function waitForBytes (api: ApiClient, key: string, timeoutMs: number, onProgress: (row: WhereRow) => void = () => {}): Promise<WhereAnswer> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    const answer = await api.call<WhereAnswer>('GET', `/v1/where/${encodeURIComponent(key)}`)
    const self = answer.members.find(m => m.self)
    if (self === undefined) throw new MycelError('INTERNAL', 'the daemon listed no row for itself')
    if (self.bytes === 'held') return answer
    const now = `${self.bytes}:${self.progress ?? ''}`
    if (now !== last) { onProgress(self); last = now }
    if (Date.now() >= deadline) {
      throw new MycelError('UNAVAILABLE', `the bytes of ${key} (${answer.digest}) did not arrive within ${timeoutMs} ms (${self.bytes}${self.progress === null ? '' : `, ${(self.progress * 100).toFixed(0)}%`})`)
    }
    await new Promise(resolve => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))))
  }
}
