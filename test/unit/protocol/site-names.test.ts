// Site events: strict decoding, the author's own key, and one rule for names claimed twice.
import { describe, expect, it } from 'vitest'
import { decodeEvent, signEvent } from '../../../protocol/codec.js'
import { siteKey, type EventBody } from '../../../protocol/event.js'
import { makeStamp } from '../../../protocol/hlc.js'
import { settleNames } from '../../../protocol/site-names.js'
import { fakeSigner } from '../../helpers/fake-crypto.js'

const site = (author: string, name: string, wall: number, groups: string[] = []): ReturnType<typeof signEvent> =>
  signEvent({ v: 1, author, seq: 1, stamp: makeStamp(wall, 0), body: { kind: 'site', key: siteKey(author), name, groups, policy: { mode: 'on-demand', prefixes: [['releases/', 'eager']] } } }, fakeSigner(author))

describe('site events', () => {
  it('round-trip, and only under the author\'s own key, with names and groups of the allowed shape', () => {
    const e = site('peer-a', 'hub-eu', 1000, ['edge', 'eu'])
    expect(decodeEvent(e.bytes).body).toEqual(e.body)
    const bad = (body: Partial<Extract<EventBody, { kind: 'site' }>>): () => void => () => signEvent({ v: 1, author: 'peer-a', seq: 1, stamp: 5n, body: { kind: 'site', key: siteKey('peer-a'), name: 'ok', groups: [], policy: { mode: 'eager', prefixes: [] }, ...body } }, fakeSigner('peer-a'))
    expect(bad({ key: siteKey('peer-b') })).toThrow(/site key/)
    expect(bad({ name: 'Hub EU' })).toThrow(/lowercase/)
    expect(bad({ groups: ['-x'] })).toThrow(/lowercase/)
    expect(bad({ policy: { mode: 'sometimes' as 'eager', prefixes: [] } })).toThrow(/replication mode/)
  })

  it('a name claimed twice stays with the earliest claim; the later one is told apart by its peer id', () => {
    const names = settleNames([site('peer-bbbbbbbb', 'hub', 2000), site('peer-aaaaaaaa', 'hub', 1000), site('peer-cccccccc', 'edge', 1500)])
    expect(names.get('peer-aaaaaaaa')).toBe('hub')
    expect(names.get('peer-bbbbbbbb')).toBe('hub~bbbbbb')
    expect(names.get('peer-cccccccc')).toBe('edge')
    // The same whatever order they are read in.
    expect(settleNames([site('peer-cccccccc', 'edge', 1500), site('peer-aaaaaaaa', 'hub', 1000), site('peer-bbbbbbbb', 'hub', 2000)])).toEqual(names)
  })
})
