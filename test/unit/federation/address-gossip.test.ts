// AddressGossip: members' addrs events feed the mesh; our own are written once they change.
import { describe, expect, it } from 'vitest'
import { AddressGossip } from '../../../daemon/federation/address-gossip.js'
import { Logger } from '../../../daemon/log.js'
import { MycelError } from '../../../protocol/errors.js'
import type { Event, EventBody, NewEventBody } from '../../../protocol/event.js'

const ev = (author: string, body: NewEventBody): Event => ({ v: 1, author, seq: 1, stamp: 1n, body: body as EventBody, sig: new Uint8Array(), signed: new Uint8Array(), bytes: new Uint8Array(), id: new Uint8Array() })

describe('AddressGossip', () => {
  it('hands other members\' addresses to the mesh and announces ours only when they change', () => {
    const added: Array<[string, string[]]> = []
    const written: NewEventBody[] = []
    let winner: Event | undefined
    let listen = ['/ip4/127.0.0.1/tcp/1/p2p/me']
    const gossip = new AddressGossip('me', {
      replica: { get: () => winner, write: body => { written.push(body); winner = ev('me', body); return winner } },
      mesh: { addPeer: (p, a) => { if (p === 'bad') throw new Error('USAGE'); added.push([p, a]) }, listenAddrs: () => listen },
      log: new Logger({ write: () => {} })
    })
    gossip.learnAll([
      ev('other', { kind: 'addrs', key: 'mycel:addrs/other', addrs: ['/ip4/10.0.0.2/tcp/4710'] }),
      ev('me', { kind: 'addrs', key: 'mycel:addrs/me', addrs: ['/ip4/1.1.1.1/tcp/1'] }),
      ev('bad', { kind: 'addrs', key: 'mycel:addrs/bad', addrs: ['nonsense'] }),
      ev('other', { kind: 'put', key: 'k', digest: new Uint8Array(32), size: 0, props: {} })
    ])
    expect(added).toEqual([['other', ['/ip4/10.0.0.2/tcp/4710']]])

    gossip.announce()
    expect(written).toEqual([{ kind: 'addrs', key: 'mycel:addrs/me', addrs: ['/ip4/127.0.0.1/tcp/1'] }])
    gossip.announce()
    expect(written).toHaveLength(1)
    listen = ['/ip4/127.0.0.1/tcp/2/p2p/me']
    gossip.announce()
    expect(written).toHaveLength(2)
  })

  it('a node not yet admitted does not warn that it cannot announce (it will once its grant arrives); other failures warn', () => {
    const lines: string[] = []
    let failure: Error = new MycelError('PERMISSION_DENIED', 'me is not a member at that stamp')
    const gossip = new AddressGossip('me', {
      replica: { get: () => undefined, write: () => { throw failure } },
      mesh: { addPeer: () => {}, listenAddrs: () => ['/ip4/127.0.0.1/tcp/1'] },
      log: new Logger({ level: 'debug', write: line => { lines.push(line) } })
    })
    gossip.announce()
    expect(lines.map(l => JSON.parse(l).level)).toEqual(['debug'])
    failure = new MycelError('INTERNAL', 'store closed')
    gossip.announce()
    expect(JSON.parse(lines[1] as string)).toMatchObject({ level: 'warn', msg: 'could not announce our addresses' })
  })
})
