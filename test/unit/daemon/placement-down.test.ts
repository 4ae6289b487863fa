// Which members placement demotes as down past the grace (daemon/runtime/blob-service.ts
// longDownOf): a site this node saw go, and one it has never seen while watching for the grace. A
// member never seen stayed a holder in this site's view for ever, while the sites that saw it go had
// demoted it, so the next in the order at this site never fetched: the factor stayed short.
import { describe, expect, it } from 'vitest'
import { PLACEMENT_DOWN_GRACE_MS } from '../../../daemon/blob/constants.js'
import { longDownOf } from '../../../daemon/runtime/blob-service.js'
import type { SiteHealthView } from '../../../daemon/visibility/types.js'

const row = (peerId: string, state: SiteHealthView['state'], sinceMs: number | null): SiteHealthView =>
  ({ peerId, name: null, self: false, state, sinceMs, lastSeenMs: sinceMs, lag: null, behind: false, reportAgeMs: null })

describe('longDownOf', () => {
  const start = 1_000_000
  it('an unreachable site past the grace', () => {
    const view = [row('a', 'unreachable', start), row('b', 'connected', start)]
    expect([...longDownOf(view, start + PLACEMENT_DOWN_GRACE_MS - 1, start)]).toEqual([])
    expect([...longDownOf(view, start + PLACEMENT_DOWN_GRACE_MS, start)]).toEqual(['a'])
  })

  it('a site never seen, once this node has watched for the grace', () => {
    const view = [row('x', 'never-seen', null), row('b', 'connected', start)]
    expect([...longDownOf(view, start + PLACEMENT_DOWN_GRACE_MS - 1, start)]).toEqual([])
    expect([...longDownOf(view, start + PLACEMENT_DOWN_GRACE_MS, start)]).toEqual(['x'])
  })
})
