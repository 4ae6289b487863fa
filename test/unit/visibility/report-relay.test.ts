// Report gossip relays a site's report only to members the site does not reach itself (relay-rule.ts):
// in a full mesh nobody relays, two hops away everybody still hears.
import { describe, expect, it } from 'vitest'
import { worthSending } from '../../../daemon/visibility/reports/relay-rule.js'

const report = (author: string, connected: string[], unreachable: string[] = []): { author: string, sites: Array<{ peer: string, state: 'connected' | 'unreachable', lag: null }> } =>
  ({ author, sites: [...connected.map(peer => ({ peer, state: 'connected' as const, lag: null })), ...unreachable.map(peer => ({ peer, state: 'unreachable' as const, lag: null }))] })

describe('which reports a node relays', () => {
  it('its own report goes to every member, whatever it says', () => {
    expect(worthSending(report('me', ['b']), 'me', 'b')).toBe(true)
    expect(worthSending(report('me', []), 'me', 'c')).toBe(true)
  })

  it('a report is never sent back to its author', () => {
    expect(worthSending(report('a', ['me']), 'me', 'a')).toBe(false)
  })

  it('another site\'s report is not relayed to a member that site is connected to: it sent it itself', () => {
    expect(worthSending(report('a', ['me', 'b']), 'me', 'b')).toBe(false)
  })

  it('it is relayed to a member the site does not reach, or has never seen', () => {
    expect(worthSending(report('a', ['me'], ['b']), 'me', 'b')).toBe(true)
    expect(worthSending(report('a', ['me']), 'me', 'c')).toBe(true)
  })
})
