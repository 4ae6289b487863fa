// Builds the libp2p node the mesh runs on: TCP + Noise + yamux, identify and ping, the connection
// bounds, and a gater that keeps banned peers out both ways and hands inbound connections to mycel's
// own accounting of who may hold one (slots.ts). Not started here: the mesh registers its protocol
// handler first.
//
// Sites behind NAT (docs/deployment.md "Sites behind NAT") use libp2p's own machinery, not a tunnel
// of ours:
//   - circuitRelayTransport on every node: it dials /p2p-circuit addresses, and a node that listens on
//     `/p2p-circuit` holds a reservation on a connected member that relays (discoveryFilter: members
//     only are ever tried as relays) and announces <relay>/p2p-circuit as its address;
//   - circuitRelayServer on a reachable node (`relay`): reservations and relayed connections for
//     members only, refused for anyone else by the gater's three relay hooks below, with the limits of
//     RELAY_LIMITS (limits.ts, why they are what they are);
//   - dcutr: over a relayed connection, the side that can dial the other directly does (with one side
//     public, the NAT'd side dials out), and the relayed connection is closed;
//   - autoNAT: asks peers to dial our addresses back, so the address manager announces only the
//     public addresses confirmed reachable (it needs 4 peers' answers, so it says little in a small
//     federation: `listen` / /p2p-circuit is what decides whether a site is relayed).
// Relayed connections are "limited" in libp2p's sense (the relay sent limits): mycel's handlers and
// streams opt in with runOnLimitedConnection (host.ts, mesh.ts).

import { noise } from '@chainsafe/libp2p-noise'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2p } from 'libp2p'
import type { Identify } from '@libp2p/identify'
import type { MultiaddrConnection, PeerId, PrivateKey, TopologyFilter } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import { RELAY_LIMITS, type NetLimits } from './limits.js'

export type MeshServices = { identify: Identify, ping: Ping }
export type MeshLibp2p = Libp2p<MeshServices>

/** The listen address that means "reachable only through a relay": hold a reservation on a member. */
export const CIRCUIT_LISTEN = '/p2p-circuit'

export interface NodeInit {
  privateKey: PrivateKey
  listen: string[]
  maxPeers: number
  limits: NetLimits
  /** Consulted on every dial and every inbound connection once the peer id is known. */
  isBanned: (peer: string) => boolean
  /** The membership gate: who may use this node as a relay, be reached through one, or serve as ours. Default allow. */
  isMember?: (peer: string) => boolean
  /** Serve as a circuit relay for members. Default false. */
  relay?: boolean
  /** mycel's accounting of inbound connections (slots.ts): told of each, and may refuse one. */
  slots?: {
    denyInbound: (maConn: MultiaddrConnection) => boolean
    encrypted: (peer: string, maConn: MultiaddrConnection) => void
  }
}

export async function createNode (init: NodeInit): Promise<MeshLibp2p> {
  const { limits } = init
  const denyBanned = (peerId: PeerId): boolean => init.isBanned(peerId.toString())
  const member = (peerId: PeerId): boolean => !denyBanned(peerId) && (init.isMember?.(peerId.toString()) ?? true)
  return await createLibp2p({
    privateKey: init.privateKey,
    start: false,
    addresses: { listen: init.listen },
    transports: [
      tcp(),
      circuitRelayTransport({
        discoveryFilter: membersAsRelays(member),
        maxInboundStopStreams: RELAY_LIMITS.maxRelayedPerPeer,
        maxOutboundStopStreams: RELAY_LIMITS.maxRelayedPerPeer
      })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({
      streamOptions: {
        maxStreamWindowSize: limits.yamuxMaxWindowBytes,
        maxReadBufferLength: limits.yamuxMaxReadBufferBytes
      }
    })],
    // ping also serves libp2p's connection monitor (on by default): every connection is pinged every
    // 10 s and aborted when a ping fails, so a silently dead peer's sessions end and get redialed.
    services: {
      identify: identify(),
      ping: ping(),
      dcutr: dcutr(),
      autoNAT: autoNAT(),
      ...(init.relay === true
        ? {
            relay: circuitRelayServer({
              maxInboundHopStreams: RELAY_LIMITS.maxHopStreamsPerPeer,
              maxOutboundHopStreams: RELAY_LIMITS.maxHopStreamsPerPeer,
              maxOutboundStopStreams: RELAY_LIMITS.maxRelayedPerPeer,
              reservations: {
                maxReservations: RELAY_LIMITS.maxReservations,
                reservationTtl: RELAY_LIMITS.reservationTtlMs,
                applyDefaultLimit: true,
                defaultDataLimit: RELAY_LIMITS.connectionDataBytes,
                defaultDurationLimit: RELAY_LIMITS.connectionDurationMs
              }
            })
          }
        : {})
    },
    connectionManager: {
      // Strangers are bounded by mycel's own accounting (slots.ts) at maxStrangers, so members' share
      // (maxPeers + extraConnections) is always free; libp2p's cap is the sum of both.
      maxConnections: init.maxPeers + limits.extraConnections + limits.maxStrangers,
      maxIncomingPendingConnections: limits.maxStrangers,
      inboundUpgradeTimeout: limits.strangerDeadlineMs,
      dialTimeout: limits.dialTimeoutMs,
      inboundConnectionThreshold: limits.inboundConnectionsPerSecond,
      // The mesh redials members itself, with its own backoff; libp2p's KEEP_ALIVE redial stays off.
      reconnectRetries: 0
    },
    connectionGater: {
      denyDialPeer: denyBanned,
      denyInboundConnection: maConn => init.slots?.denyInbound(maConn) ?? false,
      denyInboundEncryptedConnection: (peerId, maConn) => {
        if (denyBanned(peerId)) return true
        init.slots?.encrypted(peerId.toString(), maConn)
        return false
      },
      denyOutboundEncryptedConnection: denyBanned,
      // As a relay: only members hold reservations here, and a relayed connection joins two members.
      denyInboundRelayReservation: source => !member(source),
      denyOutboundRelayedConnection: (source, destination) => !member(source) || !member(destination),
      // As a relayed site: a connection through a relay is accepted from a member, through a member.
      denyInboundRelayedConnection: (relay, remote) => !member(relay) || !member(remote)
    }
  })
}

/**
 * The relay transport tries as a relay every connected peer that speaks the HOP protocol and that its
 * topology filter does not hold. This filter holds every non-member, so only members are tried; it
 * never holds a member, so a member is tried again on each identify (host.ts nudgeRelay runs one after
 * our admission: the first try, made while we were still joining, was refused).
 */
function membersAsRelays (member: (peer: PeerId) => boolean): TopologyFilter {
  return {
    has: peer => !member(peer),
    add: () => {},
    remove: () => {}
  }
}
