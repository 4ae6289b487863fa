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

/**
 * Worth remembering for a redial: not the bare /p2p-circuit a node listens on, which names no relay.
 * A relay address (<relay addr>/p2p/<relay>/p2p-circuit) is dialable: the circuit relay transport.
 */
export function usableAddr (addr: string): boolean {
  return addr !== '/p2p-circuit' && !addr.endsWith('/p2p-circuit/p2p-circuit')
}

/** The peer an address is for: after /p2p-circuit the destination, not the relay. */
function namedPeer (addr: Multiaddr): string | undefined {
  const parts = addr.getComponents()
  const circuit = parts.findLastIndex(c => c.name === 'p2p-circuit')
  return parts.slice(circuit + 1).findLast(c => c.name === 'p2p')?.value
}

/** A dialable multiaddr that names its peer (/p2p/<id>) and is not this node. */
export function parseDialAddr (addr: string, self: string): { target: Multiaddr, peer: string } {
  let target: Multiaddr
  try {
    target = multiaddr(addr)
  } catch (err) {
    throw new MycelError('USAGE', `not a multiaddr: ${addr}`, { cause: err })
  }
  const peer = namedPeer(target)
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
  const named = namedPeer(parsed)
  if (named !== undefined && named !== peer) throw MycelError.usage(`${addr} names peer ${named}, not ${peer}`)
  return stripPeer(addr, peer)
}
