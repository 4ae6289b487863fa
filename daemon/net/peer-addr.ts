// Peer ids and multiaddr strings as the mesh stores and dials them.

import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { MycelError } from '../../protocol/errors.js'

export function parsePeerId (peer: string): PeerId {
  try {
    return peerIdFromString(peer)
  } catch (err) {
    throw new MycelError('USAGE', `not a peer id: ${peer}`, { cause: err })
  }
}

/** Addresses are stored without the /p2p/<id> suffix; it is added back when dialing. */
export function stripPeer (addr: string, peer: string): string {
  const suffix = `/p2p/${peer}`
  return addr.endsWith(suffix) ? addr.slice(0, -suffix.length) : addr
}

/** Relay addresses are not dialable with this node's transports. */
export function usableAddr (addr: string): boolean {
  return !addr.includes('/p2p-circuit')
}

/** A dialable multiaddr that names its peer (/p2p/<id>) and is not this node. */
export function parseDialAddr (addr: string, self: string): { target: Multiaddr, peer: string } {
  let target: Multiaddr
  try {
    target = multiaddr(addr)
  } catch (err) {
    throw new MycelError('USAGE', `not a multiaddr: ${addr}`, { cause: err })
  }
  const peer = target.getComponents().findLast(c => c.name === 'p2p')?.value
  if (peer === undefined) throw MycelError.usage(`${addr} does not end in /p2p/<peer id>`)
  parsePeerId(peer)
  if (peer === self) throw MycelError.usage('that address is this node')
  return { target, peer }
}

/** A multiaddr for `peer`, returned without its /p2p/ suffix; USAGE error if malformed or another peer's. */
export function checkPeerAddr (addr: string, peer: string): string {
  let parsed: Multiaddr
  try {
    parsed = multiaddr(addr)
  } catch (err) {
    throw new MycelError('USAGE', `not a multiaddr: ${addr}`, { cause: err })
  }
  const named = parsed.getComponents().findLast(c => c.name === 'p2p')?.value
  if (named !== undefined && named !== peer) throw MycelError.usage(`${addr} names peer ${named}, not ${peer}`)
  return stripPeer(addr, peer)
}
