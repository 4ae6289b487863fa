// When this site's own write loses to another site's (events.ts): `conflict` for a key under an
// immutable rule, `overwritten` for a mutable key — a publish or an rm that lost, naming what won.
import { describe, expect, it } from 'vitest'
import { conflictOf, overwrittenOf, revertedOf } from '../../../daemon/visibility/events.js'
import { fakeEvent, put } from '../../helpers/fake-events.js'

const del = (author: string, seq: number, stamp: bigint, key: string): ReturnType<typeof put> => fakeEvent(author, seq, stamp, { kind: 'delete', key })

describe('a write that lost says so', () => {
  it('an immutable key (by rule): a remote create over ours with other bytes is a conflict', () => {
    expect(conflictOf(put('B', 2, 4n << 16n, 'releases/a'), put('SELF', 1, 5n << 16n, 'releases/a'), 'SELF', true)).toMatchObject({
      type: 'conflict', key: 'releases/a', author: 'B', digest: 'sha256:' + '02'.repeat(32), lostDigest: 'sha256:' + '01'.repeat(32)
    })
  })

  it('a mutable key: our put or our rm beaten by another site\'s put or delete is overwritten, with both sides', () => {
    expect(overwrittenOf(put('B', 2, 6n << 16n, 'snap/x'), put('SELF', 1, 5n << 16n, 'snap/x'), 'SELF')).toMatchObject({
      type: 'overwritten', key: 'snap/x', author: 'B', lost: 'put', won: 'put', digest: 'sha256:' + '02'.repeat(32), lostDigest: 'sha256:' + '01'.repeat(32)
    })
    const rmLost = overwrittenOf(put('B', 2, 6n << 16n, 'snap/y'), del('SELF', 1, 5n << 16n, 'snap/y'), 'SELF')
    expect(rmLost).toMatchObject({ type: 'overwritten', lost: 'delete', won: 'put', digest: 'sha256:' + '02'.repeat(32) })
    expect(rmLost?.lostDigest).toBeUndefined()
    expect(overwrittenOf(del('B', 2, 6n << 16n, 'snap/z'), put('SELF', 1, 5n << 16n, 'snap/z'), 'SELF')).toMatchObject({ lost: 'put', won: 'delete', lostDigest: 'sha256:' + '01'.repeat(32) })
  })

  it('nothing lost: someone else\'s write, our own, the same bytes, a delete over a delete', () => {
    expect(overwrittenOf(put('B', 2, 6n << 16n, 'k'), put('C', 1, 5n << 16n, 'k'), 'SELF')).toBeUndefined()
    expect(overwrittenOf(put('SELF', 2, 6n << 16n, 'k'), put('SELF', 1, 5n << 16n, 'k'), 'SELF')).toBeUndefined()
    expect(overwrittenOf(put('B', 1, 6n << 16n, 'k'), put('SELF', 1, 5n << 16n, 'k'), 'SELF')).toBeUndefined()
    expect(overwrittenOf(del('B', 2, 6n << 16n, 'k'), del('SELF', 1, 5n << 16n, 'k'), 'SELF')).toBeUndefined()
  })
})

describe('a voided winner says so (reverted)', () => {
  it('a revoked member\'s put voided: the key holds what it had superseded, or nothing', () => {
    const older = put('A', 1, 5n << 16n, 'k')
    const voided = put('M', 2, 6n << 16n, 'k')
    expect(revertedOf(voided, older)).toMatchObject({ type: 'reverted', key: 'k', author: 'M', peer: 'M', lost: 'put', lostDigest: 'sha256:' + '02'.repeat(32), won: 'put', digest: 'sha256:' + '01'.repeat(32) })
    const gone = revertedOf(voided, undefined)
    expect(gone).toMatchObject({ type: 'reverted', lost: 'put' })
    expect(gone?.won).toBeUndefined()
  })

  it('a voided rm brings the key back; a tombstone collected, or a voided rm over nothing, is no reversion', () => {
    expect(revertedOf(del('M', 2, 6n << 16n, 'k'), put('A', 1, 5n << 16n, 'k'))).toMatchObject({ lost: 'delete', won: 'put' })
    expect(revertedOf(del('A', 2, 6n << 16n, 'k'), undefined)).toBeUndefined()
  })
})
