// The `conflict` event (events.ts conflictOf): a remote winner over this
// site's own publish of an npm version, with other bytes. Not for mutable
// keys, not for the same bytes, not for an admin's unpublish marker, not for
// a winner over someone else's write. And the labels people read.
import { describe, expect, it } from 'vitest'
import { conflictOf, draftFromApplied, labelsOf } from '../../../daemon/visibility/events.js'
import { packageLabel, parsePackageKey } from '../../../daemon/npm/keys.js'
import { fakeEvent, put } from '../../helpers/fake-events.js'

const V = 'npm/@acme/greet/versions/1.0.0'

describe('conflict events and artifact labels', () => {
  it('a remote put over our own npm version with other bytes is a conflict naming both digests', () => {
    const ours = put('SELF', 1, 5n << 16n, V)
    const theirs = put('B', 2, 6n << 16n, V)
    expect(conflictOf(theirs, ours, 'SELF')).toMatchObject({
      type: 'conflict', key: V, package: '@acme/greet@1.0.0', author: 'B',
      digest: 'sha256:' + '02'.repeat(32), lostDigest: 'sha256:' + '01'.repeat(32)
    })
  })

  it('no conflict: a mutable key, someone else\'s write, our own write, the same bytes, an unpublish marker', () => {
    expect(conflictOf(put('B', 2, 6n << 16n, 'art/x'), put('SELF', 1, 5n << 16n, 'art/x'), 'SELF')).toBeUndefined()
    expect(conflictOf(put('B', 2, 6n << 16n, 'npm/p/dist-tags/latest'), put('SELF', 1, 5n << 16n, 'npm/p/dist-tags/latest'), 'SELF')).toBeUndefined()
    expect(conflictOf(put('B', 2, 6n << 16n, V), put('C', 1, 5n << 16n, V), 'SELF')).toBeUndefined()
    expect(conflictOf(put('SELF', 2, 6n << 16n, V), put('SELF', 1, 5n << 16n, V), 'SELF')).toBeUndefined()
    expect(conflictOf(put('B', 1, 6n << 16n, V), put('SELF', 1, 5n << 16n, V), 'SELF')).toBeUndefined() // same digest (fill 1)
    const marker = fakeEvent('B', 2, 6n << 16n, { kind: 'put', key: V, digest: new Uint8Array(32), size: 0, props: { unpublished: '2026-12-07T00:00:00.000Z' } })
    expect(conflictOf(marker, put('SELF', 1, 5n << 16n, V), 'SELF')).toBeUndefined()
    expect(conflictOf(fakeEvent('B', 2, 6n << 16n, { kind: 'delete', key: V }), put('SELF', 1, 5n << 16n, V), 'SELF')).toBeUndefined()
  })

  it('labels: npm keys read as name@version, images as repo:tag; other keys have none', () => {
    expect(packageLabel('npm/left-pad/versions/1.3.0')).toBe('left-pad@1.3.0')
    expect(packageLabel('npm/@acme/greet/dist-tags/latest')).toBe('@acme/greet@latest (dist-tag)')
    expect(packageLabel('npm/@acme/greet/deprecated/1.0.0')).toBe('@acme/greet@1.0.0 (deprecation)')
    expect(packageLabel('npm/_weird/versions/1.0.0')).toBeUndefined()
    expect(parsePackageKey('npm/a/b/versions/1.0.0')).toBeUndefined()
    expect(labelsOf('oci/team/app/_tags/v1')).toEqual({ image: 'team/app:v1' })
    expect(labelsOf('art/x')).toEqual({})
    expect(draftFromApplied(put('A', 1, 5n << 16n, V), true)).toMatchObject({ type: 'published', package: '@acme/greet@1.0.0' })
  })
})
