// BlobRefs when the core removes a put (its author was revoked after writing it): the key goes back to
// the winner before it, whose bytes must not be collected as an orphan, and the removed put's bytes
// become one.
import { describe, expect, it } from 'vitest'
import { BlobRefs, hexOf } from '../../../daemon/blob/refs.js'
import type { Event } from '../../../protocol/event.js'

const digest = (n: number): Uint8Array => new Uint8Array(32).fill(n)
const put = (author: string, n: number): Event => ({ author, seq: n, body: { kind: 'put', key: 'k', digest: digest(n), size: n, props: {} } }) as unknown as Event

describe('BlobRefs.removed', () => {
  it('hands the key back to the previous winner', () => {
    const refs = new BlobRefs()
    const first = put('a', 1)
    const second = put('b', 2)
    refs.applied(first, undefined, 0)
    refs.applied(second, first, 10) // the first's bytes are an orphan now
    refs.removed(second, first, 20) // b was revoked before its put: the first wins again
    expect([...(refs.get(hexOf(digest(1)))?.keys() ?? [])]).toEqual(['k'])
    expect(refs.referenced(hexOf(digest(2)))).toBe(false)
    // Past the grace only the removed put's bytes go.
    expect(refs.takeExpired(1_000, 100)).toEqual([hexOf(digest(2))])
  })

  it('leaves nothing referenced when the key has no winner left', () => {
    const refs = new BlobRefs()
    const only = put('b', 3)
    refs.applied(only, undefined, 0)
    refs.removed(only, undefined, 5)
    expect(refs.size).toBe(0)
    expect(refs.orphanCount).toBe(1)
  })
})
